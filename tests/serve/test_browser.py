"""The page in a real browser: headless Chromium (Debian's `chromium` and `chromium-driver`
packages) driven by selenium, against a real server on a free port. For each view it submits an
input and checks the output and the attention picture; nothing is loaded from elsewhere.

Skipped, with the reason, where chromium or chromedriver is not installed; in CI (CI=true) that
fails instead, as missing shared data does (`.ci/run` installs both). Screenshots go to
the test's temporary folder, and to $ATTNKIT_SCREENSHOTS when set (the README's picture)."""

from __future__ import annotations

import contextlib
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from attnkit.data.chem import canonical_smiles
from attnkit.serve.access import Access
from attnkit.serve.app import create_app
from attnkit.serve.drawing import EXAMPLES

from ..unavailable import DEV, require_module, unavailable
from .served_models import reviews, shipped, under_uvicorn

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module", autouse=True)
def _browser_installed():
    if not (BROWSER and DRIVER):
        unavailable("the browser test needs headless Chromium and its driver: "
                    "apt-get install chromium chromium-driver (Debian packages)", "browser")


@contextlib.contextmanager
def running_server(access: Access | None = None) -> Iterator[str]:
    """The app of the shipped models and a tiny classifier as `reviews`, served by uvicorn in a
    thread."""
    app = create_app([shipped("dates"), shipped("molecules"), shipped("imdb"), reviews(),
                      shipped("imdb_transformer"), shipped("multi30k")], access=access)
    with under_uvicorn(app) as (_, port):
        yield f"http://127.0.0.1:{port}/"


def chromium():
    webdriver = require_module("selenium.webdriver", DEV)
    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1200,1400", "--no-proxy-server",
                     "--disable-extensions", "--disable-background-networking"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=webdriver.ChromeService(executable_path=DRIVER),
                            options=options)


@pytest.fixture(scope="module")
def page():
    with running_server() as base:
        driver = chromium()
        try:
            driver.implicitly_wait(0)
            yield driver, base
            sources = driver.execute_script(
                "return performance.getEntriesByType('resource').map(e => e.name)")
            assert sources and all(source.startswith(base) for source in sources), sources
            errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
            assert errors == []
        finally:
            driver.quit()


def screenshot(driver, name: str, folder: Path) -> None:
    driver.save_screenshot(str(folder / f"{name}.png"))
    if os.environ.get("ATTNKIT_SCREENSHOTS"):
        target = Path(os.environ["ATTNKIT_SCREENSHOTS"])
        target.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(target / f"serve-{name}.png"))


def until(driver, condition, seconds: float = 60):
    """condition(driver) once it is true; an element replaced while it was read (the view
    redraws its result) is read again."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds,
                         ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def shown(driver, view: str, base: str) -> None:
    driver.get(f"{base}#{view}")
    until(driver, lambda d: d.execute_script(
        "return document.getElementById('view').dataset.model") == view)


def test_dates_shows_output_and_attention_matrix_and_hover_highlights(page, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver, base = page
    shown(driver, "dates", base)
    text = "3rd of March 2011"
    driver.find_element(By.ID, "dates-input").send_keys(text, Keys.ENTER)
    table = until(driver, lambda d: d.find_element(By.ID, "attention-matrix"))
    assert "2011-03-03" in driver.find_element(By.ID, "dates-result").text
    outputs = driver.find_elements(By.CSS_SELECTOR, "#output-tokens span")
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert len(rows) == len(outputs) >= 10
    assert len(table.find_elements(By.CSS_SELECTOR, "tbody td")) == len(rows) * len(text)
    assert not driver.find_elements(By.CSS_SELECTOR, ".attended")
    ActionChains(driver).move_to_element(outputs[3]).perform()  # the last digit of the year
    attended = until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "th.source.attended"))
    assert all(cell.value_of_css_property("background-color") != "rgba(0, 0, 0, 0)"
               for cell in attended)
    assert "active" in rows[3].get_attribute("class")
    assert {cell.text for cell in attended} <= set(text.replace(" ", "\u2423"))
    screenshot(driver, "dates", tmp_path)


def test_reviews_shows_label_probabilities_and_shaded_tokens(page, tmp_path):
    from selenium.webdriver.common.by import By

    driver, base = page
    shown(driver, "reviews", base)
    driver.find_element(By.ID, "review-input").send_keys("the band played a new song")
    driver.find_element(By.CSS_SELECTOR, "#view button[type=submit]").click()
    label = until(driver, lambda d: d.find_element(By.ID, "review-label"))
    assert label.text == "music"
    lines = driver.find_element(By.ID, "review-probabilities").text.split("\n")
    assert lines[0::2] == ["food", "music", "sport"] and float(lines[3]) > 0.9
    bars = driver.find_elements(By.CSS_SELECTOR, "#review-probabilities .bar")
    assert max(bars, key=lambda bar: bar.size["width"]) == bars[1]
    tokens = driver.find_elements(By.CSS_SELECTOR, "#review-text .token")
    assert [token.text for token in tokens] == "the band played a new song".split()
    assert "6 tokens read, so an even share is 1/6" in \
        driver.find_element(By.ID, "review-summary").text
    assert "uniform (1/6) or less" in driver.find_element(By.CSS_SELECTOR, ".legend").text
    screenshot(driver, "reviews", tmp_path)


def test_the_shipped_imdb_model_reads_a_review(page, tmp_path):
    from selenium.webdriver.common.by import By

    driver, base = page
    shown(driver, "imdb", base)
    review = ("One of the best films I have seen in years: a moving story, superb acting and "
              "a wonderful score. I loved every minute of it and will watch it again.")
    driver.find_element(By.ID, "review-input").send_keys(review)
    driver.find_element(By.CSS_SELECTOR, "#view button[type=submit]").click()
    label = until(driver, lambda d: d.find_element(By.ID, "review-label"))
    assert label.text == "pos"
    lines = driver.find_element(By.ID, "review-probabilities").text.split("\n")
    assert lines[0::2] == ["neg", "pos"] and float(lines[3]) > 0.5
    tokens = driver.find_elements(By.CSS_SELECTOR, "#review-text .token")
    assert len(tokens) == len(review.split())  # punctuation is not read
    screenshot(driver, "imdb", tmp_path)


def test_a_transformers_head_view_draws_each_heads_lines_and_follows_the_pointer(page,
                                                                                 tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver, base = page
    shown(driver, "imdb_transformer", base)
    review = "A moving story with superb acting, though the ending drags a little."
    driver.find_element(By.ID, "review-input").send_keys(review)
    driver.find_element(By.CSS_SELECTOR, "#view button[type=submit]").click()
    until(driver, lambda d: d.find_element(By.ID, "show-heads")).click()
    picture = until(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#head-lines svg"))
    tokens = review.replace(",", "").replace(".", "").split()
    texts = [text.text for text in picture.find_elements(By.CSS_SELECTOR, "text")]
    assert texts == tokens + tokens  # the text on the left, the same tokens on the right
    layers = Select(driver.find_element(By.ID, "head-layer"))
    assert len(layers.options) >= 2 and layers.first_selected_option.text == \
        layers.options[-1].text  # the last layer first
    lines = "return document.querySelectorAll('#head-lines line').length"
    shown_lines = "return [...document.querySelectorAll('#head-lines line')]" \
                  ".filter(line => line.style.display !== 'none').length"
    every_head = driver.execute_script(lines)
    assert every_head > len(tokens)
    driver.find_element(By.CSS_SELECTOR, "input[data-head='0']").click()  # head 1 off
    assert 0 < driver.execute_script(lines) < every_head
    # the picture was drawn again for the heads now chosen
    token = driver.find_elements(By.CSS_SELECTOR, "#head-lines svg text")[1]  # "moving", left
    ActionChains(driver).move_to_element(token).perform()
    row = "return [...document.querySelectorAll('#head-lines line')]" \
          ".filter(line => line.style.display !== 'none').map(line => line.dataset.row)"
    assert set(until(driver, lambda d: d.execute_script(row) or None)) == {"1"}
    assert driver.execute_script(shown_lines) < driver.execute_script(lines)
    screenshot(driver, "heads", tmp_path)


def test_a_translation_shows_words_its_matrix_over_subwords_and_its_cross_attention_heads(
        page, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver, base = page
    shown(driver, "multi30k", base)
    field = driver.find_element(By.ID, "dates-input")
    assert "sentence to translate" in field.get_attribute("placeholder")
    field.send_keys("A dog runs on the beach.", Keys.ENTER)
    table = until(driver, lambda d: d.find_element(By.ID, "attention-matrix"))
    output = driver.find_element(By.ID, "output-tokens")
    assert "Hund" in output.text and "\u2581" not in output.text  # pieces shown as words
    pieces = output.find_elements(By.CSS_SELECTOR, "span")
    assert len(table.find_elements(By.CSS_SELECTOR, "tbody tr")) == len(pieces)
    driver.find_element(By.ID, "show-heads").click()
    picture = until(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#head-lines svg"))
    assert "cross-attention" in driver.find_element(By.ID, "head-view").text
    left = [text for text in picture.find_elements(By.CSS_SELECTOR, "text")
            if text.get_attribute("text-anchor") == "end"]
    assert len(left) == len(pieces)  # the output's tokens attend, over the input's
    assert driver.execute_script("return document.querySelectorAll('#head-lines line').length")
    screenshot(driver, "translation", tmp_path)


def test_molecules_reads_an_upload_and_an_example_and_steps_through_tokens(page, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver, base = page
    shown(driver, "molecules", base)
    image = tmp_path / "paracetamol.png"
    with urllib.request.urlopen(f"{base}api/molecules/examples/0.png") as response:
        image.write_bytes(response.read())
    driver.find_element(By.ID, "molecule-file").send_keys(str(image))
    facts = until(driver, lambda d: d.find_element(By.ID, "molecule-facts"))
    assert canonical_smiles("CC(=O)NC1=CC=C(O)C=C1") in facts.text and "yes" in facts.text
    drawing = driver.find_element(By.ID, "molecule-drawing")
    until(driver, lambda d: d.execute_script("return arguments[0].complete && "
                                             "arguments[0].naturalWidth > 0", drawing))
    canvas = driver.find_element(By.ID, "molecule-canvas")
    pixels = "return Array.from(arguments[0].getContext('2d').getImageData(0, 0, 384, 384).data)" \
             ".reduce((sum, value, i) => sum + (i % 4 === 1 ? value : 0), 0)"
    first = driver.execute_script(pixels, canvas)
    steps = driver.find_element(By.ID, "molecule-step")
    count = int(steps.get_attribute("max")) + 1
    first = facts.text.split("\n")[1][0]  # the SMILES as read: its first token, an atom
    assert driver.find_element(By.ID, "molecule-step-label").text == \
        f"token 1 of {count}: {first}"
    driver.find_element(By.XPATH, "//div[@class='steps']/button[2]").click()
    assert driver.find_element(By.ID, "molecule-step-label").text.startswith(f"token 2 of {count}")
    assert canvas.get_attribute("data-step") == "1"
    assert driver.execute_script(pixels, canvas) != first  # the overlay moved with the step
    screenshot(driver, "molecules", tmp_path)
    Select(driver.find_element(By.ID, "molecule-example")).select_by_visible_text("benzocaine")
    until(driver, lambda d: "OC(=O)c1ccc(N)cc1" in d.find_element(By.ID, "molecule-facts").text)
    # benzocaine, or the propyl homologue the shipped reader reads it as (shipped/README.md)
    assert {canonical_smiles(EXAMPLES[1][1]), "CCCOC(=O)c1ccc(N)cc1"} & \
        set(driver.find_element(By.ID, "molecule-facts").text.split("\n"))


def test_a_server_with_a_token_works_from_the_page_opened_with_it(tmp_path):
    """The page keeps the token of its address (/#token=...) and sends it with every request:
    the API's answers, the examples and RDKit's drawings all need it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    with running_server(Access.for_address("127.0.0.1", token="browser-token")) as base:
        with pytest.raises(urllib.error.HTTPError, match="401"):
            urllib.request.urlopen(f"{base}api/models")
        driver = chromium()
        try:
            driver.get(f"{base}#token=browser-token")
            until(driver, lambda d: d.execute_script(
                "return document.getElementById('view').dataset.model") == "dates")
            assert "token" not in driver.current_url  # kept for the tab, not in the address
            shown(driver, "molecules", base)
            Select(until(driver, lambda d: d.find_element(By.ID, "molecule-example"))
                   ).select_by_visible_text("benzocaine")
            until(driver, lambda d: "CCOC(=O)" in d.find_element(By.ID, "molecule-facts").text)
            drawing = driver.find_element(By.ID, "molecule-drawing")
            until(driver, lambda d: d.execute_script("return arguments[0].complete && "
                                                     "arguments[0].naturalWidth > 0", drawing))
            screenshot(driver, "molecules-token", tmp_path)
        finally:
            driver.quit()


def test_a_drawing_osra_read_shows_who_read_it_and_what_the_model_read(tmp_path, monkeypatch):
    """A server with --fallback osra (a stand-in osra that answers CCN): the page shows OSRA's
    answer, no probability, and the model's own reading of the flagged drawing."""
    from PIL import Image
    from selenium.webdriver.common.by import By

    from attnkit.serve.served import load_served

    from ..pipelines.img2seq.test_osra_fallback import (
        MISREAD,
        answering,
        rdkit_drawing,
        stand_in_osra,
    )

    stand_in_osra(tmp_path, monkeypatch, answering(tmp_path, "CCN"))
    image = tmp_path / "triethylamine.png"
    Image.fromarray(rdkit_drawing(MISREAD)).save(image)
    with under_uvicorn(create_app(load_served(["molecules"], fallback="osra"))) as (_, port):
        driver = chromium()
        try:
            shown(driver, "molecules", f"http://127.0.0.1:{port}/")
            driver.find_element(By.ID, "molecule-file").send_keys(str(image))
            facts = until(driver, lambda d: "OSRA" in d.find_element(By.ID, "molecule-facts").text
                          and d.find_element(By.ID, "molecule-facts")).text.split("\n")
            assert facts[facts.index("SMILES") + 1] == "CCN"
            assert facts[facts.index("probability") + 1] == "\u2014"
            assert any(line.startswith("OSRA (unsure, the model read ") for line in facts)
            assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
        finally:
            driver.quit()
