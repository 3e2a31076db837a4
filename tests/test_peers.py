"""Peer groups from data/trusts.csv (SPEC §5): who is compared with whom."""

from __future__ import annotations

from pathlib import Path

import pytest

from productivity import peers


def test_every_trust_in_the_demo_file_has_a_known_group():
    groups = peers.peer_groups()
    assert set(groups["peer_group"]) <= set(peers.PEER_GROUPS)
    assert groups.loc["REP", "peer_label"] == "Women's"
    assert groups.loc["REN", "peer_group"] == "cancer"
    assert (groups.loc[groups["type"] == "acute", "peer_group"] == "acute").all()


def test_an_unknown_group_is_refused_with_the_file_and_column(tmp_path: Path):
    path = tmp_path / "trusts.csv"
    path.write_text("trust_code,name,type,peer_group,parent_code\nRAA,A,acute,dental,QYG\n")
    with pytest.raises(ValueError, match=r"trusts\.csv: column peer_group .*'dental'"):
        peers.peer_groups(path)


def test_a_file_without_the_column_falls_back_to_type_then_acute(tmp_path: Path):
    path = tmp_path / "trusts.csv"
    path.write_text("trust_code,name,type,parent_code\nRAA,A,acute,QYG\nRBB,B,specialist,QYG\n")
    assert peers.peer_of(["RAA", "RBB", "RCC"], path).tolist() == ["acute", "acute", "acute"]
    assert peers.trust_names(["RBB", "RCC"], path).tolist() == ["B", "RCC"]
