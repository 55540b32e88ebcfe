"""The local web servers' one stack (``guides serve``, ``guides kiosk``, the editors' workbench):
Starlette apps served by uvicorn, with the checks and limits every one of them needs."""
