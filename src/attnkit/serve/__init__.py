"""`attnkit serve`: the JSON API and the web page that show the models' attention.

`served` loads and names the models, `batching` answers concurrent requests with one model call,
`inputs` reads and checks requests, `answers` turns predictions into JSON, `limits` bounds what
a request may ask, `drawing` draws molecules with RDKit, `app` puts them together as a FastAPI
application and `command` is the CLI. The page (`page/`) is plain HTML, CSS and JavaScript,
served from memory: no build step, no CDN.
"""
