"""`kplan ci`: post a plan to a pull/merge request and keep a drift issue. `comment.py` and `context.py` are pure
(marker, body, CI variables); `forge.py` is the HTTP edge; `post.py` joins them (create, update or leave alone)."""
