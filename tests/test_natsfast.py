"""The faster nats-py header parser gives exactly what nats-py's own parser gives."""

from __future__ import annotations

import pytest

from shared.natsfast import NATS_PY_PARSER, _parse_header_lines, stream_seq_and_pending


@pytest.mark.parametrize("raw", [
    b"Nats-Msg-Id: abc\r\nNats-Expected-Last-Subject-Sequence:  12 \r\n\r\n",
    b"Bad Key: x\r\nGood:\tv\xc3\xa9\r\n", b"K: a:b:c\r\n", b"noval\r\nZ:\r\n", b"Caf\xc3\xa9: x\r\nA:1\r\n",
    b"Status: 404\r\nDescription: Message Not Found\r\n\r\n", b"",
])
def test_same_result_as_nats_py(raw):
    assert NATS_PY_PARSER.__func__ is not _parse_header_lines
    assert _parse_header_lines(raw) == NATS_PY_PARSER.__func__(raw)


def test_the_patch_is_only_installed_where_nats_py_has_the_method(monkeypatch, caplog):
    import shared.natsfast as compat
    assert compat.install()  # the tested nats-py (constraints.txt) has it
    monkeypatch.setattr(compat, "_installed", lambda: (2, 14))
    with caplog.at_level("WARNING"):
        assert not compat.install()
    assert "needs >= 2.15" in caplog.text


def test_ack_subject_fast_path():
    assert stream_seq_and_pending("$JS.ACK.INCIDENTS.c1.1.42.40.1700000000000000000.7") == (42, 7)
    assert stream_seq_and_pending("$JS.ACK.dom.hash.INCIDENTS.c1.1.42.40.17.7.rand") is None
