"""The shared backend: one Redis database, for many processes and machines.

    redis://[:password@]host[:port][/db][?prefix=news&timeout=5]     (also rediss://, unix://)

Articles live in hashes under the prefix; LSH band keys, anchors and paragraph counts in hashes
sharded by key (`<prefix>:lsh:N`, `:anc:N`, `:par:N`), each field a packed list of nums. Every
insert and removal is one Lua script, which Redis runs atomically, so concurrent writers never
see half an article and caps are never raced. Keys and caps come from `Index` (see `syndup._store`).

Every command has a socket timeout: a server that goes away raises `BackendError` naming the URL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np

from ._store import (
    Caps,
    Postings,
    Record,
    Stored,
    pack_fields,
    pack_nums,
    unique_paragraphs,
    unpack_fields,
    unpack_nums,
    unpack_paras,
)
from .boilerplate import Member
from .errors import BackendError, require
from .redact import redact

#: Band, anchor and paragraph postings are spread over this many Redis hashes each.
SHARDS = 256
_OWN_PARAMS = {"prefix", "timeout"}

# Appends `num4` to the packed list in hash field KEY[f] unless it holds `limit` entries already.
_APPEND = """
local function append(key, f, limit)
  local v = redis.call('HGET', key, f)
  if not v then redis.call('HSET', key, f, num4)
  elseif #v < 4 * limit then redis.call('HSET', key, f, v .. num4) end
end
"""

INSERT = """
-- KEYS: ids, docs, members, fp, then one shard per band key, one per anchor, one per paragraph
-- ARGV: doc_id, num, num4, doc blob, member blob, fingerprint, then the caps (duplicate, bucket,
--       anchor, sample), nb, na, np, then band key fields, anchor fields, paragraph fields
local have = redis.call('HGET', KEYS[1], ARGV[1])
if have then return have end
local num4 = ARGV[3]
local num = ARGV[2]
local dup_cap, bucket_cap, anchor_cap, sample = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local nb, na, np = tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13])
""" + _APPEND + """
redis.call('HSET', KEYS[1], ARGV[1], num)
redis.call('HSET', KEYS[2], num, ARGV[4])
redis.call('HSET', KEYS[3], num, ARGV[5])
append(KEYS[4], ARGV[6], dup_cap)
local k, a = 5, 14
for i = 1, nb do
  append(KEYS[k], ARGV[a], bucket_cap)
  k, a = k + 1, a + 1
end
for i = 1, na do
  append(KEYS[k], ARGV[a], anchor_cap)
  k, a = k + 1, a + 1
end
for i = 1, np do
  local v = redis.call('HGET', KEYS[k], ARGV[a])
  if not v then
    redis.call('HSET', KEYS[k], ARGV[a], struct.pack('<I4', 1) .. num4)
  else
    local rest = string.sub(v, 5)
    if #rest < 4 * sample then rest = rest .. num4 end
    redis.call('HSET', KEYS[k], ARGV[a], struct.pack('<I4', struct.unpack('<I4', v) + 1) .. rest)
  end
  k, a = k + 1, a + 1
end
return false
"""

REMOVE = """
-- KEYS as INSERT's; ARGV: doc_id, num, num4, fingerprint, nb, na, np, then the fields as INSERT's
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
local num, num4 = ARGV[2], ARGV[3]
local nb, na, np = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local function without(v, from)
  local out = {}
  for i = from, #v, 4 do
    local s = string.sub(v, i, i + 3)
    if s ~= num4 then out[#out + 1] = s end
  end
  return table.concat(out)
end
local function drop(key, f)
  local v = redis.call('HGET', key, f)
  if not v then return end
  local rest = without(v, 1)
  if #rest == 0 then redis.call('HDEL', key, f) else redis.call('HSET', key, f, rest) end
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], num)
redis.call('HDEL', KEYS[3], num)
drop(KEYS[4], ARGV[4])
local k, a = 5, 8
for i = 1, nb + na do
  drop(KEYS[k], ARGV[a])
  k, a = k + 1, a + 1
end
for i = 1, np do
  local v = redis.call('HGET', KEYS[k], ARGV[a])
  if v then
    local df = struct.unpack('<I4', v)
    if df <= 1 then redis.call('HDEL', KEYS[k], ARGV[a])
    else redis.call('HSET', KEYS[k], ARGV[a], struct.pack('<I4', df - 1) .. without(v, 5)) end
  end
  k, a = k + 1, a + 1
end
return 1
"""

LOOKUP = """
local n = redis.call('HGET', KEYS[1], ARGV[1])
if not n then return false end
return {n, redis.call('HGET', KEYS[2], n)}
"""


class RedisStore:
    """An index under one key prefix of a Redis database."""

    kind = "redis"

    def __init__(self, url: str) -> None:
        redis = require("redis", "redis", "A Redis index")
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.location = redact(url)
        parts = urlsplit(url)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        self.prefix = params.pop("prefix", "syndup")
        if not re.fullmatch(r"[\w.:-]+", self.prefix):
            raise BackendError(f"{self.location}: prefix {self.prefix!r} may only hold letters, digits, _ . : -")
        try:
            timeout = float(params.pop("timeout", "5"))
        except ValueError:
            raise BackendError(f"{self.location}: timeout must be a number of seconds") from None
        if parts.scheme in ("redis", "rediss") and not re.fullmatch(r"/?\d*", parts.path):
            raise BackendError(f"{self.location}: the path must be a database number, like redis://host:6379/0")
        clean = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(params), ""))
        try:
            self._pool = redis.ConnectionPool.from_url(
                clean, socket_timeout=timeout, socket_connect_timeout=timeout,
                # One retry for a dropped connection, none for a timeout: `timeout` bounds a command.
                retry=Retry(NoBackoff(), 1, supported_errors=(redis.exceptions.ConnectionError,)),
                health_check_interval=30)
        except ValueError as exc:
            raise BackendError(f"{self.location}: not a Redis URL ({exc})") from None
        self._errors = (redis.exceptions.RedisError, OSError)
        self._r = redis.Redis(connection_pool=self._pool)
        self._insert = self._r.register_script(INSERT)
        self._remove = self._r.register_script(REMOVE)
        self._lookup = self._r.register_script(LOOKUP)
        p = self.prefix
        self._k_header, self._k_next, self._k_ids = f"{p}:header", f"{p}:next", f"{p}:ids"
        self._k_docs, self._k_members, self._k_fp = f"{p}:docs", f"{p}:members", f"{p}:fp"
        with self._guard("connect to"):
            self._r.ping()

    @contextmanager
    def _guard(self, doing: str = "talk to") -> Iterator[None]:
        """Turn any Redis or socket failure into one BackendError line naming the server."""
        try:
            yield
        except self._errors as exc:
            detail = " ".join(str(exc).split()) or type(exc).__name__
            raise BackendError(f"cannot {doing} Redis at {self.location}: {detail}") from exc

    def read_header(self) -> dict[str, object] | None:
        with self._guard():
            raw = self._r.get(self._k_header)
        return json.loads(raw) if raw else None

    def create_header(self, header: dict[str, object]) -> dict[str, object]:
        with self._guard():
            self._r.set(self._k_header, json.dumps(header, sort_keys=True), nx=True)
        stored = self.read_header()
        assert stored is not None
        return stored

    def configure(self, caps: Caps) -> None:
        self._caps = caps

    def _shard(self, kind: str, field: bytes) -> str:
        return f"{self.prefix}:{kind}:{int.from_bytes(field[:4], 'little') % SHARDS}"

    def lookup(self, doc_id: str) -> tuple[int, bytes] | None:
        with self._guard():
            got = self._lookup(keys=[self._k_ids, self._k_docs], args=[doc_id])
        if not got:
            return None
        return int(got[0]), unpack_fields(got[1])[1]

    def _fields(self, bands: np.ndarray, anchors: np.ndarray,
                para_hashes: np.ndarray) -> tuple[list[str], list[bytes], list[int]]:
        """The shard keys and hash fields of an article's band keys, anchors and paragraphs, in that
        order, and how many there are of each."""
        groups = [("lsh", [b.tobytes() for b in bands.astype("<u8")]),
                  ("anc", [a.tobytes() for a in anchors.astype("<u4")]),
                  ("par", [int(p).to_bytes(8, "little") for p in unique_paragraphs(para_hashes)])]
        shards = [self._shard(kind, f) for kind, fields in groups for f in fields]
        return shards, [f for _, fields in groups for f in fields], [len(fields) for _, fields in groups]

    def insert(self, record: Record) -> tuple[int, bool]:
        shards, fields, counts = self._fields(record.bands, record.anchors, record.para_hashes)
        caps = self._caps
        with self._guard():
            num = int(self._r.incr(self._k_next))
            doc = pack_fields(record.doc_id.encode(), record.fingerprint, record.meta.encode(), record.text,
                              record.anchors.astype("<u4").tobytes(), record.bands.astype("<u8").tobytes())
            member = pack_fields((record.site or "").encode(), record.paras_blob())
            args: list[Any] = [record.doc_id, num, pack_nums([num]), doc, member, record.fingerprint,
                               caps.duplicate, caps.bucket, caps.anchor, caps.sample, *counts]
            have = self._insert(keys=[self._k_ids, self._k_docs, self._k_members, self._k_fp, *shards],
                                args=args + fields)
        return (int(have), False) if have is not None else (num, True)

    def remove(self, doc_id: str) -> bool:
        for _ in range(5):  # another process may remove or replace it meanwhile: look again
            with self._guard():
                got = self._lookup(keys=[self._k_ids, self._k_docs], args=[doc_id])
                if not got:
                    return False
                num = int(got[0])
                member_blob = self._r.hget(self._k_members, num)
            _, fingerprint, _, _, anchor_blob, band_blob = unpack_fields(got[1])
            para_hashes = unpack_paras(unpack_fields(member_blob)[1])[0] if member_blob else np.zeros(0, np.uint64)
            bands, anchors = np.frombuffer(band_blob, dtype="<u8"), np.frombuffer(anchor_blob, dtype="<u4")
            shards, fields, counts = self._fields(bands, anchors, para_hashes)
            args: list[Any] = [doc_id, num, pack_nums([num]), fingerprint, *counts]
            with self._guard():
                if self._remove(keys=[self._k_ids, self._k_docs, self._k_members, self._k_fp, *shards],
                                args=args + fields):
                    return True
        raise BackendError(f"{self.location}: could not remove {doc_id!r}: it keeps changing under us")

    def documents(self, nums: Iterable[int]) -> dict[int, Stored]:
        out = {}
        for n, fields in self._blobs(self._k_docs, nums):
            doc_id, fp, meta, text = fields[:4]
            out[n] = Stored(n, doc_id.decode(), fp, meta.decode(), text)
        return out

    def members(self, nums: Iterable[int]) -> dict[int, Member]:
        return {n: Member(*unpack_paras(paras), site.decode() or None)
                for n, (site, paras) in self._blobs(self._k_members, nums)}

    def _blobs(self, key: str, nums: Iterable[int]) -> list[tuple[int, list[bytes]]]:
        """The fields stored under `key` for `nums` (those still there), in one round trip."""
        nums = list(nums)
        if not nums:
            return []
        with self._guard():
            blobs = self._r.hmget(key, nums)
        return [(n, unpack_fields(blob)) for n, blob in zip(nums, blobs) if blob is not None]

    def paragraph_stats(self, hashes: Sequence[int]) -> dict[int, tuple[int, tuple[int, ...]]]:
        if not hashes:
            return {}
        fields = [int(h).to_bytes(8, "little") for h in hashes]
        with self._guard():
            pipe = self._r.pipeline(transaction=False)
            for f in fields:
                pipe.hget(self._shard("par", f), f)
            values = pipe.execute()
        out = {}
        for h, v in zip(hashes, values):
            if v:
                out[h] = (int.from_bytes(v[:4], "little"), unpack_nums(v[4:]))
        return out

    def postings(self, bands: np.ndarray, anchors: np.ndarray, fingerprint: bytes) -> Postings:
        shards, fields, _ = self._fields(bands, anchors, np.zeros(0, np.uint64))
        with self._guard():
            pipe = self._r.pipeline(transaction=False)
            pipe.hget(self._k_fp, fingerprint)
            for shard, f in zip(shards, fields):
                pipe.hget(shard, f)
            got = pipe.execute()
        lists = [unpack_nums(v) for v in got[1:]]
        nb = bands.shape[0]
        return Postings(unpack_nums(got[0]), [n for n in lists[:nb] if n], [n for n in lists[nb:] if n])

    def count(self) -> int:
        with self._guard():
            return int(self._r.hlen(self._k_ids))

    def size_info(self) -> dict[str, object]:
        with self._guard():
            info = self._r.info("memory")
        return {"redis_used_memory": int(info["used_memory"])}

    def close(self) -> None:
        self._pool.disconnect()
