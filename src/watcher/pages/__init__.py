"""The network edge: conditional GETs with robots.txt and retries, a headless browser, whole lists, captures."""

import sys

# httpx loads its command-line client whenever click, rich and pygments are installed (as they are beside the
# development tools): about 16 MB and 40 ms at every start, for a tool watcher never runs. A None entry in
# sys.modules makes that optional import fail, as it does where those packages are absent.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
