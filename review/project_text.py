"""A project's text as a team writes it and as pages show it (issue 17): pure functions.

The description is Markdown. markdown-it-py renders it with raw HTML turned off (a ``<script>``
comes out as text), then nh3 keeps only the tags and attributes listed here, so whatever a team
types renders inert: no script, no event handler, no ``javascript:`` link, no style. Links are
links (http, https, mailto); images are not shown (the page loads nothing from other sites).
A demo video is embedded only from an allow-list of hosts, through their privacy-friendly
player addresses; any other address is shown as a plain link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import nh3
from markdown_it import MarkdownIt

from review.reviews import ReviewError

# What a team may send, capped before anything is parsed or stored (the columns' sizes).
MAX_TITLE = 200
MAX_SUMMARY = 300
MAX_DESCRIPTION = 20_000
MAX_URL = 500
MAX_TAGS = 10
MAX_TAG = 30

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough")
_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
_SCHEMES = {"http", "https", "mailto"}

# The video hosts embedded, each by its player's address without tracking cookies.
EMBED_ORIGINS = ("https://www.youtube-nocookie.com", "https://player.vimeo.com")
_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_VIMEO_ID = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True)
class ProjectText:
    title: str
    summary: str
    description: str
    repo_url: str
    video_url: str
    tags: tuple[str, ...]


def render_markdown(source: str) -> str:
    """The description as safe HTML: rendered without raw HTML, then sanitised."""
    html = _markdown.render(source[:MAX_DESCRIPTION])
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )


def _one_line(value: object, limit: int, field: str) -> str:
    text = " ".join(str(value or "").split())  # no line breaks or control runs in one line
    if len(text) > limit:
        raise ReviewError(
            "%(field)s is longer than %(limit)d characters.", 400, field=field, limit=limit
        )
    return text


def check_url(value: object, field: str) -> str:
    """An http(s) address with a host, or "" for none; anything else is refused."""
    url = str(value or "").strip()
    if not url:
        return ""
    if len(url) > MAX_URL:
        raise ReviewError(
            "%(field)s is longer than %(limit)d characters.", 400, field=field, limit=MAX_URL
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise ReviewError("%(field)s must be an http:// or https:// address.", 400, field=field)
    return url


def check_tags(value: object) -> tuple[str, ...]:
    """At most ``MAX_TAGS`` tags of ``MAX_TAG`` characters, without repeats, in order."""
    items = value if isinstance(value, list | tuple) else str(value or "").split(",")
    tags: list[str] = []
    for item in items[: MAX_TAGS * 4]:  # a list sent by hand is bounded before it is read
        tag = _one_line(item, MAX_TAG, "tag")
        if tag and tag.casefold() not in {t.casefold() for t in tags}:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ReviewError("At most %(count)d tags.", 400, count=MAX_TAGS)
    return tuple(tags)


def check_text(body: dict[str, object]) -> ProjectText:
    """A team's fields, checked: lengths, addresses, tags; refused with a ReviewError (400)."""
    description = str(body.get("description") or "")
    if len(description) > MAX_DESCRIPTION:
        raise ReviewError(
            "%(field)s is longer than %(limit)d characters.",
            400,
            field="description",
            limit=MAX_DESCRIPTION,
        )
    return ProjectText(
        title=_one_line(body.get("title"), MAX_TITLE, "title"),
        summary=_one_line(body.get("summary"), MAX_SUMMARY, "summary"),
        description=description.replace("\r\n", "\n"),
        repo_url=check_url(body.get("repo_url"), "repo_url"),
        video_url=check_url(body.get("video_url"), "video_url"),
        tags=check_tags(body.get("tags")),
    )


def video_embed(url: str) -> str | None:
    """The player address to embed for ``url`` if its host is on the allow-list, else None."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    path = [p for p in parts.path.split("/") if p]
    video: str | None = None
    if host == "youtu.be" and path:
        video = path[0]
    elif host in ("youtube.com", "youtube-nocookie.com"):
        if path[:1] == ["watch"]:
            video = (parse_qs(parts.query).get("v") or [""])[0]
        elif len(path) >= 2 and path[0] in ("embed", "shorts", "live"):
            video = path[1]
    if video is not None:
        if not _YOUTUBE_ID.fullmatch(video):
            return None
        return f"{EMBED_ORIGINS[0]}/embed/{video}"
    if host in ("vimeo.com", "player.vimeo.com"):
        number = path[-1] if path else ""
        if _VIMEO_ID.fullmatch(number):
            return f"{EMBED_ORIGINS[1]}/video/{number}?dnt=1"
    return None
