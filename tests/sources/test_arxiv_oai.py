"""Parsing OAI-PMH ListRecords pages in the arXiv and arXivRaw formats."""

from datetime import UTC, date, datetime

import pytest

from dailypapers.sources.arxiv_oai import (
    Deletion,
    OaiError,
    list_records_params,
    parse_list_records,
)
from dailypapers.sources.records import InvalidRecord

OAI_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
    b"<responseDate>2026-11-25T00:00:00Z</responseDate><request>x</request>"
)

RAW_RECORD = b"""<record><header><identifier>oai:arXiv.org:0704.0001</identifier>
<datestamp>2008-11-13</datestamp><setSpec>physics:hep-ph</setSpec></header><metadata>
<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>0704.0001</id>
<submitter>Pavel Nadolsky</submitter>
<version version="v1"><date>Mon, 2 Apr 2007 19:18:42 GMT</date><size>164kb</size></version>
<version version="v2"><date>Tue, 24 Jul 2007 20:10:27 GMT</date><size>164kb</size></version>
<title>Calculation of prompt diphoton production cross sections at Tevatron and
  LHC energies</title><authors>C. Bal\\'azs, E. L. Berger, P. M. Nadolsky and C.-P. Yuan</authors>
<categories>hep-ph</categories><comments>37 pages, 15 figures</comments>
<abstract>  A fully differential calculation in perturbative quantum chromodynamics is
presented.
</abstract></arXivRaw></metadata></record>"""


def page(records: bytes, token: bytes = b"") -> bytes:
    return OAI_HEAD + b"<ListRecords>" + records + token + b"</ListRecords></OAI-PMH>"


def test_real_arxiv_format_records(shared_data):
    data = (shared_data / "fixtures" / "arxiv_oaipmh" / "arxiv-physics-hep-th.xml").read_bytes()
    parsed = parse_list_records(data)
    assert len(parsed.items) == 3 and parsed.resumption_token is None
    paper = parsed.items[0].paper
    assert paper.id == "1412.8323"
    assert paper.title == (
        "Toolbox for reconstructing quantum theory from rules on information acquisition"
    )
    assert paper.authors == ("Philipp A Hoehn",)
    assert paper.categories[:2] == ("quant-ph", "gr-qc")
    assert paper.published_at.date() == date(2014, 12, 29)
    assert paper.updated_at == datetime(2017, 12, 13, tzinfo=UTC)
    assert parsed.items[0].entry.day == date(2014, 12, 30)


def test_get_record_answers_parse_as_one_record(shared_data):
    data = (shared_data / "fixtures" / "arxiv_oaipmh" / "arxiv-single.xml").read_bytes()
    (record,) = parse_list_records(data).items
    assert record.paper.id == "1401.2122"


def test_arxiv_raw_gives_versions_and_times():
    (record,) = parse_list_records(page(RAW_RECORD)).items
    paper = record.paper
    assert (paper.id, paper.version) == ("0704.0001", 2)
    assert paper.authors == ("C. Bal\\'azs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan")
    assert paper.published_at == datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)
    assert paper.updated_at == datetime(2007, 7, 24, 20, 10, 27, tzinfo=UTC)
    assert record.entry.day == date(2007, 4, 4)  # after Monday's cutoff: Tuesday evening


def test_resumption_token_and_list_size():
    token = b'<resumptionToken cursor="0" completeListSize="4500">abc|1001</resumptionToken>'
    parsed = parse_list_records(page(RAW_RECORD, token))
    assert (parsed.resumption_token, parsed.complete_list_size) == ("abc|1001", 4500)
    last = parse_list_records(page(RAW_RECORD, b'<resumptionToken cursor="4000"/>'))
    assert last.resumption_token is None


def test_deleted_records_are_withdrawals():
    deleted = (
        b'<record><header status="deleted"><identifier>oai:arXiv.org:hep-th/9901001</identifier>'
        b"<datestamp>2020-01-01</datestamp></header></record>"
    )
    (item,) = parse_list_records(page(deleted)).items
    assert item == Deletion("hep-th/9901001")


def test_a_record_missing_a_field_is_named():
    broken = (
        RAW_RECORD.replace(b"<categories>hep-ph</categories>", b"")
        .replace(b"<abstract>", b"<abstractx>")
        .replace(b"</abstract>", b"</abstractx>")
    )
    (problem,) = parse_list_records(page(broken)).items
    assert isinstance(problem, InvalidRecord)
    assert (problem.field, problem.reason) == ("abstract", "missing")
    assert "oai:arXiv.org:0704.0001" in problem.location


def test_no_records_match_is_an_empty_page():
    body = OAI_HEAD + b'<error code="noRecordsMatch">nothing</error></OAI-PMH>'
    parsed = parse_list_records(body)
    assert (parsed.items, parsed.resumption_token) == ([], None)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            OAI_HEAD + b'<error code="badResumptionToken">expired</error></OAI-PMH>',
            "badResumptionToken: expired",
        ),
        (b"<OAI-PMH><ListRecords>", "malformed XML"),
        (b"<html/>", "expected an OAI-PMH response"),
    ],
)
def test_errors_raise(body, message):
    with pytest.raises(OaiError, match=message):
        parse_list_records(body)


def test_request_parameters():
    first = list_records_params(
        token=None,
        metadata_prefix="arXiv",
        set_spec="cs",
        from_day=date(2025, 1, 1),
        until_day=None,
    )
    assert first == {
        "verb": "ListRecords",
        "metadataPrefix": "arXiv",
        "set": "cs",
        "from": "2025-01-01",
    }
    resumed = list_records_params(
        token="t|2",
        metadata_prefix="arXiv",
        set_spec="cs",
        from_day=date(2025, 1, 1),
        until_day=None,
    )
    assert resumed == {"verb": "ListRecords", "resumptionToken": "t|2"}
