"""Leases over a real NATS KV bucket: taking a lease whose holder's entry lapses at the worst moment."""

from __future__ import annotations

import asyncio

import pytest

from shared.errors import TransientError
from shared.lease import Leases

pytestmark = pytest.mark.integration


async def test_a_lease_lapsing_while_create_rereads_it_is_taken_not_crashed(nc):
    leases = Leases(nc, ttl=1, bucket="LEASE_LAPSE")
    await leases.acquire("target.a", "first", wait=0)
    kv = await leases.kv()
    real_get = kv._get

    async def get_after_the_entry_lapsed(key, *args, **kwargs):
        # nats-py's create() re-reads the key after "wrong last sequence"; let the max age pass first,
        # as when the holder died just before: the read then answers "not found".
        await asyncio.sleep(1.5)
        kv._get = real_get
        return await real_get(key, *args, **kwargs)

    kv._get = get_after_the_entry_lapsed
    lease = await leases.acquire("target.a", "second", wait=5)
    assert lease.holder == "second" and await leases.holder("target.a") == "second"


async def test_a_lease_held_within_its_ttl_is_not_taken_within_the_wait(nc):
    leases = Leases(nc, ttl=5, bucket="LEASE_HELD")
    await leases.acquire("target.b", "first", wait=0)
    with pytest.raises(TransientError, match="held by first"):
        await leases.acquire("target.b", "second", wait=0.3)


async def test_key_value_errors_from_a_real_bucket_map_into_our_hierarchy(nc):
    from shared.errors import ConcurrencyError, NotFoundError
    from shared.jetstream import js_call, translate

    kv = await Leases(nc, ttl=5, bucket="LEASE_ERRORS").kv()
    await kv.create("k", b"one")
    try:
        await kv.create("k", b"two")
    except Exception as exc:  # noqa: BLE001 - the raw nats-py error, to translate
        assert isinstance(translate(exc), ConcurrencyError)
    else:
        pytest.fail("a second create of one key must be refused")
    with pytest.raises(NotFoundError):
        await js_call(kv.get("absent"))
