"""Helpers shared by the site page objects: URL rules from path patterns, text cleaning,
boilerplate and caption filtering, Beijing-time date parsing, body extraction from an HTML
container, and multi-page merging.

Everything here is a pure function of strings or parsel selectors; nothing needs a Scrapy engine.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml import etree
from parsel import Selector

from cppcc_watch.items import Article, RawPage, content_hash

BEIJING_OFFSET = "+08:00"

# Elements whose text never belongs to an article (code, widgets, pagers, share bars, related).
NOISE_CSS = (
    "script, style, noscript, iframe, object, embed, video, audio, form, button, select, textarea, "
    "#div_currpage, #div_page_roll1, .urlShareArea, .share, .shareBar, .share-bar, .info_r, "
    ".related, .relatedNews, .related-news, .pager, .selectpage, .picshow_nav"
)

_SPACE_RE = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_FILENAME_RE = re.compile(r"^[^\s/\\<>]{1,120}\.(?:jpe?g|png|gif|bmp|webp|tiff?)$", re.IGNORECASE)
_AGENCIES = r"(?:Xinhua|China Daily|CFP|VCG|IC|AFP|Reuters|AP)"
_CREDIT = r"Photo\b[^\[\]()]{0,60}|[A-Z][^\[\]()/]{0,40}/[A-Z][^\[\]()]{0,40}"
# In parentheses only agency credits count: "(Xinhua/Li Xueren)", not "(NPC/CPPCC)".
_PAREN_CREDIT = (
    rf"Photo\b[^()]{{0,60}}|{_AGENCIES}\s*/[^()/]{{1,40}}|[A-Z][^()/]{{0,40}}/\s*{_AGENCIES}"
)
_CAPTION = rf"\[(?:{_CREDIT})\]|\((?:{_PAREN_CREDIT})\)"
_CAPTION_RE = re.compile(rf"^(?:{_CAPTION})$")
_TRAILING_CAPTION_RE = re.compile(rf"\s*({_CAPTION})\s*$")
_BOILERPLATE_RES = [
    re.compile(r"^Copyright\b", re.IGNORECASE),
    re.compile(r"©"),
    re.compile(r"All rights reserved", re.IGNORECASE),
    re.compile(r"Presented by China Daily", re.IGNORECASE),
    re.compile(r"ICP备\s*\d+"),
    re.compile(r"^Back to (?:the )?Top$", re.IGNORECASE),
    re.compile(r"^(?:License for publishing multimedia online|Registration Number)\b", re.I),
    re.compile(r"^[\[(]?\s*(?:Editor|Editors|Edited by)\s*[:：]", re.IGNORECASE),
    re.compile(r"^Share\s*(?:-|:|$)", re.IGNORECASE),
    re.compile(
        r"^(?:Related(?: Stories| News| Articles)?|Read more|Most (?:Viewed|Popular))\b:?$", re.I
    ),
    # A pager: "< 1 ... 5 6 7 >", "Prev Next 1 2 3", "Next Page".
    re.compile(
        r"^(?:[<>«»‹›]|Prev(?:ious)?|Next|Page|First|Last|\b\d{1,3}\b|\.{2,3}|…|\s)+$",
        re.IGNORECASE,
    ),
]
_LEADING_FILENAME_RE = re.compile(
    r"^(?:[^\s/\\<>]{1,120}\.(?:jpe?g|png|gif|bmp|webp|tiff?)\s+)+", re.IGNORECASE
)
_DATE_RE = re.compile(
    r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?(?!\d)"
)
_UPDATED_RE = re.compile(r"Updated\s*[:：]\s*\d{4}-\d{1,2}-\d{1,2}", re.IGNORECASE)
_URL_DATE_RE = re.compile(r"/(\d{4})-?(\d{2})/(\d{2})/")


def clean_text(text: str | None) -> str:
    """Collapse every kind of whitespace (nbsp, full-width, zero-width) to one space and strip."""
    return _SPACE_RE.sub(" ", text or "").strip()


def is_filename(text: str) -> bool:
    """True when the text is only an image's upload filename ("1678700495153043593.jpg")."""
    return bool(_FILENAME_RE.match(clean_text(text)))


def is_caption(text: str) -> bool:
    """True when the whole text is a bracketed photo credit ("[Photo/Xinhua]", "[Photo by X]")."""
    return bool(_CAPTION_RE.match(clean_text(text)))


def strip_leading_filename(text: str) -> str:
    """A paragraph without an image filename leaked in front of it ("77.jpeg Wang Huning ...")."""
    return _LEADING_FILENAME_RE.sub("", text)


def split_caption(text: str) -> tuple[str, str | None]:
    """Split a photo credit off a paragraph's end: "Text. [Photo/Xinhua]" -> ("Text.", credit)."""
    text = clean_text(text)
    match = _TRAILING_CAPTION_RE.search(text)
    if not match:
        return text, None
    return text[: match.start()].rstrip(), match.group(1)


def is_boilerplate(text: str) -> bool:
    """True for site furniture that must never enter an article (footer, pager, share bar)."""
    text = clean_text(text)
    return not text or is_filename(text) or any(rx.search(text) for rx in _BOILERPLATE_RES)


def iso_beijing(text: str | None) -> str | None:
    """The first "YYYY-MM-DD[ HH:MM[:SS]]" in the text as ISO 8601 in Beijing time (+08:00)."""
    for match in _DATE_RE.finditer(text or ""):
        year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
        try:
            stamp = datetime(year, month, day, hour, minute, second)
        except ValueError:
            continue
        return stamp.strftime("%Y-%m-%dT%H:%M:%S") + BEIJING_OFFSET
    return None


def url_date(url: str) -> str | None:
    """The date in an article URL ("/2024-03/03/" or "/a/202403/03/") as midnight Beijing time."""
    match = _URL_DATE_RE.search(urlsplit(url).path)
    if not match:
        return None
    return iso_beijing("{}-{}-{}".format(*match.groups()))


def strip_query(url: str) -> str:
    """The URL without its query string and fragment."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


class UrlRules:
    """A site's URL rules, made from where its pages live and the shapes of their paths.

    `site_path` gives a URL's path within the site, None when the URL is not on the site;
    `article` matches an article page's path, with the groups (month, day, id, page number);
    `listings` match a listing page's path, with the groups (section, page number);
    `canonical` is an article's canonical URL, formatted with the article groups; `page_file`
    the file name of one page of an article, formatted with its id and "" (first page) or "_N".
    """

    def __init__(
        self,
        site_path: Callable[[str], str | None],
        article: re.Pattern[str],
        listings: tuple[re.Pattern[str], ...],
        canonical: str,
        page_file: str,
    ) -> None:
        self.site_path = site_path
        self.article = article
        self.listings = listings
        self.canonical = canonical
        self.page_file = page_file

    def article_match(self, url: str) -> re.Match[str] | None:
        """The article pattern's match on the URL's path, if the URL is an article of the site."""
        path = self.site_path(url)
        return self.article.match(path) if path is not None else None

    def listing_match(self, url: str) -> re.Match[str] | None:
        """The first listing pattern's match on the URL's path, if the URL is a listing."""
        path = self.site_path(url)
        if path is None:
            return None
        for pattern in self.listings:
            match = pattern.match(path)
            if match:
                return match
        return None

    def is_article_url(self, url: str) -> bool:
        """True for an article page (any page of it) on the site."""
        return self.article_match(url) is not None

    def canonical_url(self, url: str) -> str:
        """An article's canonical URL, whatever its host or page; other URLs lose their query."""
        match = self.article_match(url)
        return self.canonical.format(*match.groups()) if match else strip_query(url)

    def page_number(self, url: str) -> int:
        """The page number of an article or listing URL (1 for a first page or any other URL)."""
        match = self.article_match(url) or self.listing_match(url)
        if match and match.groups()[-1]:
            return int(match.groups()[-1])
        return 1

    def article_pages(self, sel: Selector, url: str) -> list[str]:
        """Every page of the multi-page article at `url`, on its host; [] for a single page.

        Pagers skip pages ("< 1 ... 5 6 7 ... 13 >"), so every page up to the highest number
        that the page `sel` links to is listed.
        """
        own = self.article_match(url)
        if not own:
            return []
        article_id = own.group(3)
        last = int(own.group(4) or 1)
        for link in links_containing(sel, url, article_id):
            match = self.article_match(link)
            if match and match.group(1, 2, 3) == own.group(1, 2, 3):
                last = max(last, int(match.group(4) or 1))
        if last < 2:
            return []
        parts = urlsplit(url)
        head = parts.path.rsplit("/", 1)[0]
        names = [
            self.page_file.format(article_id, f"_{n}" if n > 1 else "") for n in range(1, last + 1)
        ]
        return [
            urlunsplit((parts.scheme, parts.netloc, f"{head}/{name}", "", "")) for name in names
        ]


def absolute_links(sel: Selector, base_url: str) -> list[str]:
    """Absolute URLs of every `a[href]` under the selector, in page order (no javascript:/#)."""
    links = []
    for href in sel.css("a::attr(href)").getall():
        href = clean_text(href)
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        link = join_url(base_url, href)
        if link:
            links.append(link)
    return links


def join_url(base_url: str, href: str) -> str | None:
    """`href` made absolute against `base_url`, without fragment; None when it is no URL
    (a malformed page can hold hrefs such as "http://[" that urllib refuses)."""
    try:
        return strip_fragment(urljoin(base_url, href))
    except ValueError:
        return None


_HREF_XPATH = etree.XPath("//a/@href")


def links_containing(sel: Selector, base_url: str, needle: str) -> list[str]:
    """Absolute URLs of the page's links whose href contains `needle` (cheap pre-filter)."""
    root = sel.root
    if isinstance(root, etree._Element):  # the strings straight from lxml: no Selector per link
        everything = [str(href) for href in _HREF_XPATH(root)]
    else:
        everything = sel.xpath("//a/@href").getall()
    hrefs = [h for h in everything if needle in h]
    joined = (join_url(base_url, clean_text(h)) for h in hrefs)
    return [link for link in joined if link]


def strip_fragment(url: str) -> str:
    """The URL without its #fragment."""
    return url.split("#", 1)[0]


def dedupe(items: Iterable[str]) -> list[str]:
    """The items in their first-seen order, each once."""
    return list(dict.fromkeys(items))


_TEXT_XPATH = etree.XPath(".//text()[not(ancestor::script) and not(ancestor::style)]")
_BODY_TEXT_XPATH = etree.XPath("//body//text()[not(ancestor::script) and not(ancestor::style)]")


def node_text(sel: Selector | etree._Element) -> str:
    """The visible text of an element (script/style excluded), whitespace-normalized."""
    root = sel.root if isinstance(sel, Selector) else sel
    if not isinstance(root, etree._Element):
        return clean_text(str(root))
    return clean_text(" ".join(_TEXT_XPATH(root)))


def meta_content(sel: Selector, name: str) -> str | None:
    """The content of `<meta name=...>` or `<meta property=...>`, cleaned; None when absent."""
    value = sel.xpath(
        f"//meta[@name='{name}' or @property='{name}']/@content",
    ).get()
    return clean_text(value) or None


def first_text(sel: Selector, css_list: Iterable[str]) -> str | None:
    """The text of the first element matching one of the CSS selectors that has any text."""
    for css in css_list:
        for found in sel.css(css):
            text = node_text(found)
            if text:
                return text
    return None


def noise_elements(sel: Selector, css: str = NOISE_CSS) -> set[object]:
    """The lxml elements under the selector that are noise (scripts, pagers, share bars...)."""
    return {found.root for found in sel.css(css)}


def _inside(el: etree._Element, elements: set[object]) -> bool:
    return el in elements or any(a in elements for a in el.iterancestors())


def find_container(sel: Selector, css_list: Iterable[str]) -> Selector | None:
    """The first element matching the selectors that holds paragraphs, else the first match.

    A known container without text means the page has no body; only a page with no known
    container at all falls back to the largest block of paragraphs.
    """
    first: Selector | None = None
    for css in css_list:
        for match in sel.css(css):
            if match.root.find(".//p") is not None:
                return match
            first = first or match
    return first


_FURNITURE_RE = re.compile(r"foot|bottom|header|nav|menu|copyright|related|share", re.IGNORECASE)


def _is_furniture(el: etree._Element) -> bool:
    """True for an element inside the page furniture (footer, header, menus, related lists)."""
    for node in (el, *el.iterancestors()):
        if node.tag in ("body", "html"):
            break
        names = f"{node.get('class') or ''} {node.get('id') or ''} {node.tag}"
        if _FURNITURE_RE.search(names):
            return True
    return False


def largest_paragraph_block(sel: Selector) -> Selector | None:
    """The element whose `<p>` children hold the most text: the body when no selector matched.

    Paragraphs in the page furniture (footer, header, menus, related lists) never count.
    """
    totals: dict[object, int] = {}
    for p in sel.xpath("//p[not(ancestor::script)]"):
        parent = p.root.getparent()
        if parent is not None and not _is_furniture(parent):
            totals[parent] = totals.get(parent, 0) + len(node_text(p))
    if not totals or max(totals.values()) == 0:
        return None
    best = max(totals, key=lambda el: totals[el])
    return Selector(root=best, type="html")


def _is_image_only(el: etree._Element) -> bool:
    return el.find(".//img") is not None and not node_text(el)


def _is_link_only(el: etree._Element, text: str) -> bool:
    """A list item or paragraph that is one link: a related-story entry, not article text."""
    links = el.findall(".//a")
    return len(links) == 1 and links[0].get("href") is not None and node_text(links[0]) == text


def _has_ancestor(el: etree._Element, tags: tuple[str, ...], stop: etree._Element) -> bool:
    for ancestor in el.iterancestors():
        if ancestor is stop:
            return False
        if ancestor.tag in tags:
            return True
    return False


def paragraphs_and_captions(
    container: Selector | None, noise_css: str = NOISE_CSS
) -> tuple[list[str], list[str]]:
    """Body paragraphs and photo captions of an article container, boilerplate removed.

    A figcaption, a bracket-only credit paragraph, and a credited paragraph that holds or follows an
    image are captions; a credit at the end of an ordinary paragraph is split off into the captions.
    """
    if container is None or not isinstance(container.root, etree._Element):
        return [], []
    root = container.root
    paragraphs: list[str] = []
    captions: list[str] = []
    after_image = False
    noise = noise_elements(container, noise_css)
    blocks = [el for el in root.iter("p", "figcaption", "img", "li") if not _inside(el, noise)]
    for el in blocks:
        if el.tag == "img":
            after_image = after_image or not _has_ancestor(el, ("p", "li", "figure"), root)
            continue
        if el.tag == "p" and _is_image_only(el):
            after_image = True
            continue
        if el.tag == "li" and (
            el.find(".//p") is not None or _has_ancestor(el, ("p", "figcaption"), root)
        ):
            continue
        if el.tag == "p" and _has_ancestor(el, ("figcaption",), root):
            continue
        text = strip_leading_filename(node_text(el))
        if is_boilerplate(text) or _is_link_only(el, text):
            continue
        near_image = after_image or el.find(".//img") is not None
        after_image = False
        if el.tag == "figcaption" or is_caption(text):
            captions.append(text)
            continue
        body, credit = split_caption(text)
        if credit and near_image:
            captions.append(text)
        elif credit:
            captions.append(credit)
            if body and not is_boilerplate(body):
                paragraphs.append(body)
        else:
            paragraphs.append(body)
    if not paragraphs and not blocks:
        paragraphs = [t for t in _loose_text(root, noise) if not is_boilerplate(t)]
    return paragraphs, captions


def _loose_text(root: etree._Element, noise: set[object]) -> list[str]:
    """Text nodes of a container without paragraphs (text split by `<br>`), noise left out."""
    texts = []
    for text in _TEXT_XPATH(root):
        owner = text.getparent()
        if owner is not None and text.is_tail:
            owner = owner.getparent()
        if owner is not None and (owner in noise or any(a in noise for a in owner.iterancestors())):
            continue
        if clean_text(text):
            texts.append(clean_text(text))
    return texts


def merge_pages(articles: list[Article]) -> Article:
    """One article from the parsed pages of a multi-page article, given in page order.

    The first page's fields are kept; bodies are joined in page order, captions and raw pages are
    concatenated, and the content hash is recomputed over the joined body.
    """
    if not articles:
        raise ValueError("merge_pages needs at least one page")
    first = articles[0]
    body = "\n".join(a.body for a in articles if a.body) or first.body
    captions = [c for a in articles for c in a.captions]
    pages = [p for a in articles for p in a.pages]
    return replace(
        first,
        body=body,
        captions=captions,
        pages=pages,
        content_hash=content_hash(first.title, body),
    )


_TITLE_SUFFIX_RE = re.compile(
    r"\s*[-_|–—]\s*(?:CPPCC|Chinadaily\.com\.cn|China Daily|chinadaily|"
    r"The National Committee of the Chinese People's Political Consultative Conference)\s*$",
    re.IGNORECASE,
)
_OUTLETS = {
    "chinadaily.com.cn": "China Daily",
    "china daily": "China Daily",
    "chinadaily": "China Daily",
    "china daily global": "China Daily",
    "xinhua": "Xinhua",
    "xinhuanet": "Xinhua",
    "xinhua news agency": "Xinhua",
    "cppcc": "CPPCC",
}
_BYLINE_PLACE_RE = re.compile(
    r"(?<=[A-Z]{2})\s+in\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*(?=\s+and\s|\s*,|\s*$)"
)
_LOWER_WORDS = {"and", "in", "of", "de", "van", "von"}


def strip_title_suffix(title: str | None) -> str | None:
    """A `<title>` without its " - Chinadaily.com.cn" / " - CPPCC" site suffix."""
    if not title:
        return None
    return _TITLE_SUFFIX_RE.sub("", clean_text(title)) or None


def normalize_outlet(source: str | None) -> str | None:
    """The outlet named by a source line: "chinadaily.com.cn" -> "China Daily"; others as shown."""
    source = clean_text(source).strip(" |:-–—")
    source = re.sub(r"^(?:Source|From)\s*[:：]\s*", "", source, flags=re.IGNORECASE)
    if not source:
        return None
    return _OUTLETS.get(source.lower(), source)


def normalize_author(byline: str | None) -> str | None:
    """A by-line without "By ", all-caps names title-cased: "By CAO YIN" -> "Cao Yin"."""
    name = clean_text(byline)
    name = re.sub(r"^By\b\s*", "", name, flags=re.IGNORECASE).strip(" |,")
    if not name:
        return None
    name = _BYLINE_PLACE_RE.sub("", name)  # "CAO YIN in Beijing" -> "CAO YIN"
    words = name.split(" ")
    names = [w for w in words if w.lower() not in _LOWER_WORDS]
    if names and all(w.upper() == w for w in names):
        name = " ".join(_title_word(w) for w in words)
    return name


def _title_word(word: str) -> str:
    """One by-line word title-cased ("YONGQI" -> "Yongqi", "O'NEIL" -> "O'Neil"); "and" kept."""
    if word.lower() in _LOWER_WORDS:
        return word.lower()
    return re.sub(r"[A-Za-z]+", lambda m: m.group(0).capitalize(), word)


def make_selector(html: str | None) -> Selector:
    """A parsel selector for any HTML, even an empty or broken string."""
    return Selector(text=html if html and html.strip() else "<html></html>", type="html")


class BaseListingPage:
    """What the section listing pages of both sites share: the articles a page lists and the
    further pages of its section.

    A subclass gives its site's URL rules (`urls`), list containers (`list_css`) and
    `listing_section` (a static method).
    """

    urls: UrlRules
    list_css: tuple[str, ...] = ()

    def __init__(self, html: str, url: str, selector: Selector | None = None) -> None:
        self.url = url
        self.sel = selector if selector is not None else make_selector(html)

    @staticmethod
    def listing_section(url: str) -> str | None:
        """The section a listing URL belongs to, None if it is no listing (overridden per site)."""
        return None

    def current_page(self) -> int:
        """This listing's page number (1 for a section's first page)."""
        return self.urls.page_number(self.url)

    def article_links(self) -> list[str]:
        """Absolute article URLs of the list items, in page order, each once (spam dropped).

        Taken from the first list container that holds article links, else from the whole page.
        """
        for css in self.list_css:
            scope = self.sel.css(css)
            links = [
                u for s in scope for u in absolute_links(s, self.url) if self.urls.is_article_url(u)
            ]
            if links:
                return dedupe(links)
        return dedupe(u for u in absolute_links(self.sel, self.url) if self.urls.is_article_url(u))

    def next_page_links(self) -> list[str]:
        """Later pages of the same section on the same host ("Next", numbered pager links).

        Judged by URL, so carousels ("Prev Next 1 2 3") and links to other sections never count.
        """
        section = self.listing_section(self.url)
        if section in (None, "/"):
            return []
        host = urlsplit(self.url).hostname
        current = self.current_page()
        pages: dict[int, str] = {}
        for link in absolute_links(self.sel, self.url):
            if self.listing_section(link) != section or urlsplit(link).hostname != host:
                continue
            number = self.urls.page_number(link)
            if number > current:
                pages.setdefault(number, strip_query(link))
        return [pages[n] for n in sorted(pages)]


class BaseArticlePage:
    """What the article pages of both sites share: raw HTML, cached text, and `to_article`.

    A subclass gives its site's URL rules (`urls`) and headline selectors (`title_css`), and
    defines `published_at`, `author`, `outlet` and `body_container`.
    """

    urls: UrlRules
    title_css: tuple[str, ...] = ()

    def __init__(self, html: str, url: str, selector: Selector | None = None) -> None:
        self.html = html or ""
        self.url = url
        self.sel = selector if selector is not None else make_selector(self.html)
        self._text: tuple[list[str], list[str]] | None = None

    def title(self) -> str | None:
        """The headline: from `title_css`, else og:title, else `<title>` without the site name."""
        return (
            first_text(self.sel, self.title_css)
            or meta_content(self.sel, "og:title")
            or strip_title_suffix(self.sel.xpath("//title/text()").get())
        )

    def published_at(self) -> str | None:
        """The publication time in ISO 8601 with +08:00 (overridden per site)."""
        return url_date(self.url)

    def updated_at(self) -> str | None:
        """A distinct update time; neither site shows one apart from its "Updated:" line."""
        return None

    def author(self) -> str | None:
        """The by-line without "By " (overridden per site)."""
        return None

    def outlet(self) -> str | None:
        """Who wrote the article (overridden per site)."""
        return None

    def body_container(self) -> Selector | None:
        """The element holding the article text (overridden per site)."""
        return largest_paragraph_block(self.sel)

    def page_links(self) -> list[str]:
        """Absolute URLs of all pages of a multi-page article; [] for a single page."""
        return self.urls.article_pages(self.sel, self.url)

    def _paragraphs(self) -> tuple[list[str], list[str]]:
        if self._text is None:
            container = self.body_container()
            if container is None:
                container = largest_paragraph_block(self.sel)
            self._text = paragraphs_and_captions(container)
        return self._text

    def body(self) -> str:
        """The article text: plain text, one paragraph per line ("" when none was found)."""
        return "\n".join(self._paragraphs()[0])

    def captions(self) -> list[str]:
        """Photo captions and credits, kept apart from the body."""
        return list(self._paragraphs()[1])

    def to_article(self, source: str, section: str | None = None) -> Article:
        """This page as an Article (one page; multi-page articles are joined by `merge_pages`)."""
        title, body = self.title(), self.body()
        return Article(
            url=self.urls.canonical_url(self.url),
            source=source,
            section=section,
            title=title,
            published_at=self.published_at(),
            updated_at=self.updated_at(),
            author=self.author(),
            outlet=self.outlet(),
            body=body,
            content_hash=content_hash(title, body),
            captions=self.captions(),
            pages=[RawPage(self.url, self.html)],
        )


def updated_line(sel: Selector, css_list: Iterable[str]) -> str | None:
    """The short text holding "Updated: <date>": from a known element, else found in the page text.

    When found in the page text, the text grows to the enclosing elements while they stay short,
    so a source in a sibling `<span>` comes along.
    """
    for css in css_list:
        for found in sel.css(css):
            text = node_text(found)
            if _UPDATED_RE.search(text):
                return text
    if not isinstance(sel.root, etree._Element):
        return None
    for text in _BODY_TEXT_XPATH(sel.root):
        if not _UPDATED_RE.search(text):
            continue
        best = clean_text(text)
        owner = text.getparent()
        if owner is not None and text.is_tail:
            owner = owner.getparent()
        for _ in range(3):
            if owner is None or owner.tag == "body" or len(node_text(owner)) > 160:
                break
            best = node_text(owner)
            owner = owner.getparent()
        return best
    return None
