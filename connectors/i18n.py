"""Marks strings for translation without translating them here.

Connectors must not depend on the web app, yet their field labels and help texts are shown to
merchants. `N_` marks them for extraction (`pybabel extract -k N_`); the web app translates
them with `gettext` when it renders a form.
"""


def N_(message: str) -> str:
    return message
