"""Every tabular loader rejects a bad row through one path (``loaders.rows``): the reject names its file and
its line (or, for JSON keyed by id, its object), with the reason, and the rows around it still load."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from graph_model.store.embedded import EmbeddedStore
from loaders import LoadContext, ingest, reader

WALLET = "1AVcbgn3QJGJkDehF5LhcYhp81UZsZ9dWv"
FEODO_JSON = [
    {"ip_address": "162.243.103.246", "port": 8080, "malware": "Emotet"},
    {"ip_address": "50.16.16.211", "port": 99999, "malware": "Emotet"},
]
THREATFOX = {
    "1": [
        {
            "ioc_value": "8.8.8.8:443",
            "ioc_type": "ip:port",
            "malware_printable": "Vidar",
            "malware": "win.vidar",
        }
    ],
    "2": [
        {"ioc_value": "8.8.8.8", "ioc_type": "ip:port", "malware_printable": "Vidar", "malware": "win.vidar"}
    ],
}

# format, file name, content, where the bad record is, the reason given
CASES = [
    ("csv", "actors.csv", "actor,type,confidence\nbob,handle,50\nalice,handle,high\n", "3", "not an integer"),
    ("csv", "actors2.csv", "actor,type\nbob,handle\n,handle\n", "3", "column 'actor' is empty"),
    (
        "ransomwhere",
        "targets.simple.csv",
        f"schema,name,aliases,first_seen,last_seen\nCryptoWallet,{WALLET},Locky,,\n"
        "CryptoWallet,not-a-wallet,Locky,,\n",
        "3",
        "not-a-wallet",
    ),
    (
        "receipts",
        "receipts.csv",
        f"address,type,amountReceivedUSD,amountReceivedBTC\n{WALLET},origCluster,1,2\n{WALLET},x,heavy,2\n",
        "3",
        "amountReceivedUSD: not a number",
    ),
    (
        "btc-payments",
        "payments.csv",
        "family,txn_hash,output_index,potential_ransom_wallet_addr,potential_ransom_btc,potential_ransom_usd,unix_ts\n"
        f"Locky,ab12,1,{WALLET},0.5,189.14,1455179567\nLocky,ab13,one,{WALLET},0.5,189.14,1455179567\n",
        "3",
        "output_index: not a number",
    ),
    ("bitcoin-otc", "soc-sign-bitcoinotc.csv", "6,2,4,1289241911\n6,5,x,1289241941\n", "2", "RATING"),
    (
        "feodo",
        "ipblocklist.csv",
        "first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware\n"
        "2022-06-04 21:24:53,162.243.103.246,8080,offline,2026-03-07,Emotet\n"
        "2022-06-04 21:24:53,50.16.16.211,http,offline,2026-03-07,Emotet\n",
        "3",
        "port: not a number",
    ),
    ("feodo", "ipblocklist.json", json.dumps(FEODO_JSON, indent=1), "7", "port: out of range"),
    ("threatfox", "threatfox.json", json.dumps(THREATFOX), "#2", "not an ip:port value"),
    ("edgelist", "ties.txt", "1 2\n2 3\n4\n", "3", "expected two vertex ids"),
    ("edgelist", "ties.csv", "source,target,weight\n1,2,1\n2,3,heavy\n", "3", "weight: not a number"),
    ("edgelist", "ties.tsv", "1\t2\t1\n2\t3\t2\n4\t5\t1e999\n", "3", "weight: not a finite number"),
]


@pytest.mark.parametrize(("fmt", "name", "content", "where", "reason"), CASES, ids=[c[1] for c in CASES])
def test_a_bad_row_is_rejected_with_its_file_and_line(
    embedded_store: EmbeddedStore, tmp_path: Path, fmt: str, name: str, content: str, where: str, reason: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    rejects = io.StringIO()
    summary = ingest(
        embedded_store, reader(fmt)(path, LoadContext(embedded_store.model, "t")), rejects=rejects
    )
    found = [json.loads(line) for line in rejects.getvalue().splitlines()]
    location = f"{name}{where}" if where.startswith("#") else f"{name}:{where}"
    assert summary.rejected == 1 and [(r["file"], r["location"]) for r in found] == [(name, location)]
    assert reason in found[0]["reason"]
    assert found[0]["record"]  # the row as read
    assert summary.store.nodes_new > 0  # the good rows around it loaded
