.PHONY: run test setup
run:   ## set up and start the app, worker and sandboxes at http://127.0.0.1:5000
	scripts/run.sh
test:  ## set up and run every test, browser tests included
	scripts/test.sh
setup:
	scripts/setup.sh --browser
