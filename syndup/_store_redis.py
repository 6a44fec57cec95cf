"""The shared backend: one Redis database, for many processes and machines.

    redis://[:password@]host[:port][/db][?prefix=news&timeout=5]     (also rediss://, unix://)

LSH buckets are datasketch's Redis storage: the keys a `datasketch.MinHashLSH` with
`storage_config={"type": "redis", "basename": b"<prefix>:lsh", ...}` and `prepickle=False`
reads, so datasketch itself can query the index. Articles, anchors and paragraph counts live
next to them under the same prefix. Every insert and removal is one Lua script, which Redis runs
atomically, so concurrent writers never see half an article and caps are never raced.

Every command has a socket timeout: a server that goes away raises `BackendError` naming the URL.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np

from ._store import (Hits, Record, Stored, pack_fields, pack_nums, unique_paragraphs, unpack_fields,
                     unpack_nums, unpack_paras)
from .boilerplate import Member
from .errors import BackendError, require
from .sign import lean_minhash

#: Anchor and paragraph postings are spread over this many Redis hashes.
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
-- KEYS: ids, docs, members, fp, lsh keys hash, lsh keys list of this num,
--       then (bucket table, bucket set) per band, then one shard per anchor, then one per paragraph
-- ARGV: doc_id, num, num4, doc blob, member blob, fingerprint, cap, sample, nb, na, np,
--       then band hashes, anchor fields, paragraph fields
local have = redis.call('HGET', KEYS[1], ARGV[1])
if have then return have end
local num4 = ARGV[3]
local num = ARGV[2]
local cap, sample = tonumber(ARGV[7]), tonumber(ARGV[8])
local nb, na, np = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
""" + _APPEND + """
redis.call('HSET', KEYS[1], ARGV[1], num)
redis.call('HSET', KEYS[2], num, ARGV[4])
redis.call('HSET', KEYS[3], num, ARGV[5])
append(KEYS[4], ARGV[6], cap)
local k, a = 7, 12
if nb > 0 then
  local hs = {}
  for i = 1, nb do
    local h = ARGV[a]
    hs[i] = h
    if redis.call('SCARD', KEYS[k + 1]) < cap then
      redis.call('HSET', KEYS[k], h, KEYS[k + 1])
      redis.call('SADD', KEYS[k + 1], num)
    end
    k, a = k + 2, a + 1
  end
  redis.call('HSET', KEYS[5], num, KEYS[6])
  redis.call('RPUSH', KEYS[6], unpack(hs))
end
for i = 1, na do
  append(KEYS[k], ARGV[a], cap + 1)
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
-- KEYS and ARGV as INSERT's, with ARGV: doc_id, num, num4, fingerprint, nb, na, np, then fields
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
local k, a = 7, 8
for i = 1, nb do
  redis.call('SREM', KEYS[k + 1], num)
  if redis.call('SCARD', KEYS[k + 1]) == 0 then redis.call('HDEL', KEYS[k], ARGV[a]) end
  k, a = k + 2, a + 1
end
redis.call('HDEL', KEYS[5], num)
redis.call('DEL', KEYS[6])
for i = 1, na do
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


def redact(url: str) -> str:
    """The URL with any password replaced by ***, for messages."""
    return re.sub(r"(//[^/@:]*:)[^@/]*@", r"\1***@", url)


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
                retry=Retry(NoBackoff(), 1), retry_on_error=[redis.exceptions.ConnectionError],
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

    def configure(self, *, num_perm: int, seed: int, bands: int, rows: int, cap: int, sample: int) -> None:
        from datasketch import MinHashLSH

        # datasketch's own storage objects name every bucket key; they share our connection pool.
        self._lsh = MinHashLSH(num_perm=num_perm, params=(bands, rows), prepickle=False,
                               storage_config={"type": "redis", "basename": f"{self.prefix}:lsh".encode(),
                                               "redis": {"connection_pool": self._pool}})
        self._seed, self._cap, self._sample = seed, cap, sample

    def _band_keys(self, signature: np.ndarray) -> list[tuple[bytes, bytes, bytes]]:
        """(bucket table, bucket hash, bucket set key) per band, as datasketch's MinHashLSH has them."""
        values = lean_minhash(signature, self._seed).hashvalues
        out = []
        for (start, end), table in zip(self._lsh.hashranges, self._lsh.hashtables):
            h = self._lsh._H(values[start:end])
            out.append((table._name, h, table.redis_key(h)))
        return out

    def _shard(self, kind: str, field: bytes) -> str:
        return f"{self.prefix}:{kind}:{int.from_bytes(field[:4], 'little') % SHARDS}"

    def lookup(self, doc_id: str) -> tuple[int, bytes] | None:
        with self._guard():
            got = self._lookup(keys=[self._k_ids, self._k_docs], args=[doc_id])
        if not got:
            return None
        return int(got[0]), unpack_fields(got[1])[1]

    def _postings(self, record_anchors: np.ndarray, para_hashes: Iterable[int]) -> tuple[list[bytes], list[bytes]]:
        anchors = [int(a).to_bytes(4, "little") for a in record_anchors.tolist()]
        paras = [int(p).to_bytes(8, "little") for p in para_hashes]
        return anchors, paras

    def insert(self, record: Record) -> tuple[int, bool]:
        anchors, paras = self._postings(record.anchors, unique_paragraphs(record.para_hashes))
        bands = self._band_keys(record.signature) if record.signature is not None else []
        with self._guard():
            num = int(self._r.incr(self._k_next))
            lsh_key = str(num).encode()
            keys: list[Any] = [self._k_ids, self._k_docs, self._k_members, self._k_fp,
                               self._lsh.keys._name, self._lsh.keys.redis_key(lsh_key)]
            for table, _, bucket in bands:
                keys += [table, bucket]
            keys += [self._shard("anc", a) for a in anchors] + [self._shard("par", p) for p in paras]
            doc = pack_fields(record.doc_id.encode(), record.fingerprint, record.meta.encode(), record.text,
                              record.anchors.astype("<u4").tobytes())
            member = pack_fields((record.site or "").encode(), record.paras_blob())
            args: list[Any] = [record.doc_id, num, pack_nums([num]), doc, member, record.fingerprint,
                               self._cap, self._sample, len(bands), len(anchors), len(paras)]
            args += [h for _, h, _ in bands] + anchors + paras
            have = self._insert(keys=keys, args=args)
        return (int(have), False) if have is not None else (num, True)

    def remove(self, doc_id: str) -> bool:
        for _ in range(5):  # another process may remove or replace it meanwhile: look again
            with self._guard():
                got = self._lookup(keys=[self._k_ids, self._k_docs], args=[doc_id])
                if not got:
                    return False
                num = int(got[0])
                lsh_key = str(num).encode()
                list_key = self._lsh.keys.redis_key(lsh_key)
                pipe = self._r.pipeline(transaction=False)
                pipe.hget(self._k_members, num)
                pipe.lrange(list_key, 0, -1)
                member_blob, hashes = pipe.execute()
            _, fingerprint, _, _, anchor_blob = unpack_fields(got[1])
            para_hashes, _ = unpack_paras(unpack_fields(member_blob)[1]) if member_blob else (np.zeros(0, np.uint64), None)
            anchors, paras = self._postings(np.frombuffer(anchor_blob, dtype="<u4"), unique_paragraphs(para_hashes))
            keys: list[Any] = [self._k_ids, self._k_docs, self._k_members, self._k_fp,
                               self._lsh.keys._name, list_key]
            for h, table in zip(hashes, self._lsh.hashtables):
                keys += [table._name, table.redis_key(h)]
            keys += [self._shard("anc", a) for a in anchors] + [self._shard("par", p) for p in paras]
            args: list[Any] = [doc_id, num, pack_nums([num]), fingerprint, len(hashes), len(anchors), len(paras)]
            args += list(hashes) + anchors + paras
            with self._guard():
                if self._remove(keys=keys, args=args):
                    return True
        raise BackendError(f"{self.location}: could not remove {doc_id!r}: it keeps changing under us")

    def documents(self, nums: Iterable[int]) -> dict[int, Stored]:
        nums = list(nums)
        if not nums:
            return {}
        with self._guard():
            blobs = self._r.hmget(self._k_docs, nums)
        out = {}
        for n, blob in zip(nums, blobs):
            if blob is not None:
                doc_id, fp, meta, text, _ = unpack_fields(blob)
                out[n] = Stored(n, doc_id.decode(), fp, meta.decode(), text)
        return out

    def members(self, nums: Iterable[int]) -> dict[int, Member]:
        nums = list(nums)
        if not nums:
            return {}
        with self._guard():
            blobs = self._r.hmget(self._k_members, nums)
        out = {}
        for n, blob in zip(nums, blobs):
            if blob is not None:
                site, paras = unpack_fields(blob)
                out[n] = Member(*unpack_paras(paras), site.decode() or None)
        return out

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

    def candidates(self, signature: np.ndarray | None, anchors: np.ndarray, fingerprint: bytes) -> Hits:
        bands = self._band_keys(signature) if signature is not None else []
        fields = [int(a).to_bytes(4, "little") for a in anchors.tolist()]
        with self._guard():
            pipe = self._r.pipeline(transaction=False)
            pipe.hget(self._k_fp, fingerprint)
            for _, _, bucket in bands:
                pipe.smembers(bucket)
            for f in fields:
                pipe.hget(self._shard("anc", f), f)
            got = pipe.execute()
        hits = Hits(duplicates=list(unpack_nums(got[0])))
        for members in got[1:1 + len(bands)]:
            for m in members:
                n = int(m)
                hits.bands[n] = hits.bands.get(n, 0) + 1
        for posting in got[1 + len(bands):]:
            nums = unpack_nums(posting)
            if len(nums) <= self._cap:  # longer: a common phrase, ignored as scan does
                for n in nums:
                    hits.anchors[n] = hits.anchors.get(n, 0) + 1
        return hits

    def count(self) -> int:
        with self._guard():
            return int(self._r.hlen(self._k_ids))

    def size_info(self) -> dict[str, object]:
        with self._guard():
            info = self._r.info("memory")
        return {"redis_used_memory": int(info["used_memory"])}

    def close(self) -> None:
        self._pool.disconnect()
