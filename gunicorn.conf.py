"""gunicorn settings for production (the Procfile's `web` process: `gunicorn -c gunicorn.conf.py`).

- No `Server` header: the response does not advertise the web server.
- The access log leaves out query strings and the referrer: an OAuth callback carries a one-time
  code in its query, and it must not land in log files.
- Behind a reverse proxy, set TRUSTED_PROXIES (the app's own ProxyFix decides which
  X-Forwarded-* hops to believe); gunicorn itself believes none.
"""

import os

from gunicorn.http import wsgi

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
accesslog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
forwarded_allow_ips = ""
# Proxies take care of slow clients; a worker never waits long for a request's headers.
timeout = 30
limit_request_line = 8190


_default_headers = wsgi.Response.default_headers


def _without_server_header(self):
    return [h for h in _default_headers(self) if not h.lower().startswith("server:")]


wsgi.Response.default_headers = _without_server_header
