"""The Community SDK for Python.

Everything of the generated module ``community_sdk_ffi`` (uniffi) is re-exported here:
``Client``, ``Community``, ``Channel``, ``ChannelThread``, the records, ``SdkError`` and the listener base
classes. Async methods are coroutines (``await client.login(...)``) that run on the SDK's
own runtime. The generated module and the native library ``libcommunity_sdk_ffi.so``
sit in ``community_sdk/generated/``.

Listeners are called on the SDK's callback thread; to hand values to an asyncio loop, use
:func:`to_loop`.

Permissions are bit sets (``int``); :class:`PermissionFlag` names the bits (``.value``),
``permission_flags``, ``permissions_of`` and ``permission_names`` convert, and
:func:`has_permission` tests one flag.

Search snippets mark their matches as byte ranges of the UTF-8 text; :func:`highlight_spans`
turns them into ``str`` index ranges (code points) and :func:`highlighted_texts` into the
highlighted substrings.
"""

import asyncio
import atexit
from typing import Callable, List, Tuple, TypeVar

from .generated.community_sdk_ffi import *  # noqa: F401,F403
from .generated.community_sdk_ffi import SdkError, version

#: The SDK's version (the native library's, equal to the wheel's), e.g. ``"0.1.0"``.
__version__ = version()

T = TypeVar("T")


def to_loop(loop: asyncio.AbstractEventLoop, callback: Callable[[T], None]) -> Callable[[T], None]:
    """Wraps ``callback`` so that it runs on ``loop`` (thread-safe), for use in listeners."""

    def forward(value: T) -> None:
        loop.call_soon_threadsafe(callback, value)

    return forward


def error_code(error: SdkError) -> int:
    """The numeric code of any ``SdkError`` variant (e.g. 5000 for ``name_too_long``)."""
    return error.code


def has_permission(permissions: int, flag: "PermissionFlag") -> bool:  # noqa: F405
    """Whether the bit set ``permissions`` (as ``Channel.permissions()`` returns it, or a
    group's ``permissions``) holds ``flag``, e.g. ``PermissionFlag.MANAGE_MESSAGES``."""
    return permissions & flag.value == flag.value


def highlight_spans(snippet: "Snippet") -> List[Tuple[int, int]]:  # noqa: F405
    """The highlights of a search ``snippet`` as ``(start, end)`` indices of ``snippet.text``
    (a ``str``: code points), for ``snippet.text[start:end]``. The SDK gives them as byte
    ranges of the UTF-8 text (a CJK character is 3 bytes, 1 code point)."""
    data = snippet.text.encode("utf-8")

    def index(byte: int) -> int:
        # the code points before `byte` (a byte inside a character counts from its start)
        return len(data[: max(0, min(byte, len(data)))].decode("utf-8", errors="ignore"))

    spans = []
    for highlight in snippet.highlights:
        start = index(highlight.start)
        spans.append((start, max(start, index(highlight.end))))
    return spans


def highlighted_texts(snippet: "Snippet") -> List[str]:  # noqa: F405
    """The highlighted parts of a search ``snippet``'s text, in order (e.g. ``["東京"]``)."""
    return [snippet.text[start:end] for start, end in highlight_spans(snippet)]


def _stop_callbacks_at_exit() -> None:
    # A listener call that enters a finalizing interpreter is killed by it (pthread_exit),
    # which would abort the process; stop deliveries while the interpreter still runs.
    stop_callbacks()  # noqa: F405


atexit.register(_stop_callbacks_at_exit)
