"""The names of the files a channel's signed manifest is written to (a bottom module: the
manifest writer and the signed-sheet check both read them, and the check must stay light)."""

MANIFEST = "guides-manifest.json"
SIGNATURE = "guides-manifest.json.sig"
PUBLIC_KEY = "guides-public-key.pem"
SHARD_DIR = "guides-manifest.d"  # the shards of a sharded manifest (guidesrc.manifest_shards)
