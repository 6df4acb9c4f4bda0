"""The network edge: conditional GETs with robots.txt and retries, a headless browser, whole lists, captures."""
