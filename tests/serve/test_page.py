"""The page's files: served from memory by name only, local references only (it works
offline), a content policy that forbids loading anything from elsewhere, shipped as package
data."""

import re
from pathlib import Path

from attnkit.serve.app import PAGE_POLICY, page_files

REPOSITORY = Path(__file__).resolve().parents[2]


def test_the_page_and_its_files_are_served_with_a_local_only_policy(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == PAGE_POLICY
    assert "default-src 'self'" in PAGE_POLICY and "http" not in PAGE_POLICY
    for name in re.findall(r'(?:src|href)="/page/([^"]+)"', page.text):
        assert client.get(f"/page/{name}").status_code == 200
    script = client.get("/page/app.js")
    assert script.headers["content-type"].startswith("text/javascript")


def test_every_reference_of_the_page_is_local():
    files = page_files()
    assert {"index.html", "app.js", "style.css"} <= set(files)
    for name, content in files.items():
        # SVG's namespace is a name the browser knows, never fetched
        text = content.decode("utf-8").replace('"http://www.w3.org/2000/svg"', "")
        assert not re.search(r"(?:https?:)?//[\w.-]+\.\w", text.replace("/page/", "")), name
        for imported in re.findall(r'from "\./([^"]+)"', text):
            assert imported in files, f"{name} imports {imported}, which the page lacks"


def test_no_client_path_reaches_the_file_system(client):
    for name in ("../app.py", "..%2Fapp.py", "%2e%2e/served.py", "/etc/passwd", "page.html",
                 "app.py", "page/app.js", "%2e%2e%2fapp.py"):
        response = client.get(f"/page/{name}")
        assert response.status_code == 404, name
        assert response.headers["content-type"] == "application/json", name


def test_the_page_ships_as_package_data():
    pyproject = (REPOSITORY / "pyproject.toml").read_text()
    for name in page_files():
        assert f'"serve/page/*{Path(name).suffix}"' in pyproject, name
