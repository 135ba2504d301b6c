"""Models as releases: a versioned store, checked loads, and which release each session is served.

``store.py`` lists and fetches releases (a directory or an S3-compatible
bucket, with a verified local cache); ``checks.py`` holds the pure load
checks; ``loading.py`` runs them all on one release; ``deployment.py`` is
the pure bookkeeping of the active release, the previous one and a canary;
``manager.py`` ties them together for the server and the admin API.
"""
