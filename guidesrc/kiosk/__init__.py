"""``guides kiosk``: the hall's touch-screen kiosk — find a guide, read it, take it on the phone
(QR code) or print it — served from the last published print bundle on this machine.

:mod:`guidesrc.kiosk.catalog` is what it shows, :mod:`guidesrc.kiosk.server` how (pages, checks,
printing); ``docs/kiosk.md`` describes it for the people who set kiosks up.
"""
