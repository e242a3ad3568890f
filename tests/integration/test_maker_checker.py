"""Maker-checker: whoever made a draft snapshot can never approve or reject it themselves."""

from __future__ import annotations

import pytest

from reporting import snapshots
from tests.conftest import SAMPLE

QUARTER = "2022/23 Q3"


@pytest.fixture()
def loaded(engine):  # noqa: ANN001, ANN201
    from etl.demo import demo_files
    from etl.loader import load_file

    for path in demo_files(SAMPLE):
        assert load_file(engine, path).ok
    return engine


def test_the_maker_cannot_approve_or_reject_their_own_draft(loaded) -> None:  # noqa: ANN001
    info = snapshots.create_snapshot(loaded, QUARTER, made_by="demo-manager", threshold=9)
    for who in ("demo-manager", "Demo-Manager "):
        with pytest.raises(snapshots.SelfApproval, match="someone else"):
            snapshots.approve_snapshot(loaded, info.id, approved_by=who)
        with pytest.raises(snapshots.SelfApproval):
            snapshots.reject_snapshot(loaded, info.id, rejected_by=who)
    assert snapshots.get_info(loaded, info.id).status == "draft"
    assert snapshots.approve_snapshot(loaded, info.id, approved_by="demo-approver").status == "approved"
    with pytest.raises(snapshots.SnapshotLocked):
        snapshots.reject_snapshot(loaded, info.id, rejected_by="demo-approver")


def test_a_rejected_draft_is_gone(loaded) -> None:  # noqa: ANN001
    info = snapshots.create_snapshot(loaded, QUARTER, made_by="demo-manager", threshold=9)
    snapshots.reject_snapshot(loaded, info.id, rejected_by="demo-approver")
    with pytest.raises(snapshots.SnapshotNotFound):
        snapshots.get_info(loaded, info.id)
