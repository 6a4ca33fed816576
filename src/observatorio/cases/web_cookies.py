"""Names of the cases web pages' cookies: read by the sign-in pages (web.py) and the officer
pages (officer_web.py), which import this module rather than each other."""

SESSION_COOKIE = "obs_cases_session"
PRELOGIN_COOKIE = "obs_cases_prelogin"
