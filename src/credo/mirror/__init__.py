"""credo.mirror: a verified, read-only copy of a credo log (``credo mirror``).

`follow.Mirror` verifies the log's checkpoint and copies its tree through its C2SP tiles,
keeping only what verified (`store.MirrorStore`, ``DIR/mirror.db``); `poll.Follower` runs it
every few seconds beside the server; `app.create_mirror_app` serves the copy; `witnessing`
cosigns what was verified with the member's own witness key; `evidence` keeps a rewritten
history. Above the API in the layers (it reuses the log's tile serving), beside
`credo.client`: nothing below imports it. Import the modules themselves.
"""
