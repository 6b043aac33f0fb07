"""Passwords, lock-out, expiry and masking: the pure parts of access control."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from services import auth, masking

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def stored() -> str:
    return auth.hash_password("correct horse battery")


def test_passwords_are_argon2id_salted_hashes(stored):
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert auth.hash_password("correct horse battery") != stored  # a new salt each time


def test_verify_accepts_the_password_and_nothing_else(stored):
    assert auth.verify_password(stored, "correct horse battery")
    assert not auth.verify_password(stored, "correct horse batterY")
    assert not auth.verify_password(stored, "")
    assert not auth.verify_password(None, "anything")  # an account without a password
    assert not auth.verify_password("not-a-hash", "anything")


def test_failures_back_off_exponentially_and_never_lock_for_good():
    # (replaces "the fifth failure in a row locks for 15 minutes": issue 10 removes lock-outs)
    assert [auth.backoff_delay(n) for n in range(auth.FREE_FAILURES + 1)] == [None] * (
        auth.FREE_FAILURES + 1
    )
    delays = [auth.backoff_delay(n) for n in range(auth.FREE_FAILURES + 1, 30)]
    assert delays[:3] == [dt.timedelta(seconds=s) for s in (2, 4, 8)]
    assert all(b >= a for a, b in zip(delays, delays[1:], strict=False))  # type: ignore[operator]
    assert max(delays) == auth.BACKOFF_MAX == dt.timedelta(minutes=15)  # type: ignore[type-var]
    until = NOW + dt.timedelta(seconds=8)
    assert auth.wait_left(until, now=NOW) == dt.timedelta(seconds=8)
    assert auth.wait_left(until, now=until) is None
    assert auth.wait_left(None, now=NOW) is None
    assert auth.client_address("10.0.0.9 · Mozilla/5.0") == "10.0.0.9"
    assert auth.client_address(None) == "local"


def test_a_login_expires_after_8_idle_hours_and_24_hours_in_all():
    created = NOW
    assert not auth.session_expired(last_seen=NOW, created=created, now=NOW + dt.timedelta(hours=7))
    assert auth.session_expired(last_seen=NOW, created=created, now=NOW + dt.timedelta(hours=8))
    busy = NOW + dt.timedelta(hours=23)  # active all day long
    assert not auth.session_expired(last_seen=busy, created=created, now=busy)
    assert auth.session_expired(last_seen=busy, created=created, now=NOW + dt.timedelta(hours=24))


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "至少10位"),
        ("1234567890", "太常见"),
        ("zhang.san.2026", "包含用户名"),
        ("aaaaaaaaaaaa", "种类太少"),
        ("x" * 129, "不能超过128位"),
    ],
)
def test_weak_passwords_are_refused(password, problem):
    assert problem in (auth.password_problem(password, username="zhang.san") or "")


def test_generated_passwords_are_acceptable_and_different():
    a, b = auth.generate_password(), auth.generate_password()
    assert a != b
    assert auth.password_problem(a) is None


def test_the_actor_says_who_and_where():
    actor = auth.Actor(
        token="t",
        username="gl",
        display_name="梁飞国",
        role="grid_leader",
        community_name="大北街社区",
        cell_names=("第003网格",),
    )
    assert actor.role_name == "网格长"
    assert actor.scope == "大北街社区 · 第003网格"
    assert auth.Actor(token="t", username="c", display_name="c", role="clerk").scope == (
        "街道便民服务中心"
    )


ROSTER = pd.DataFrame(
    {
        "head_name": ["张三", "欧阳娜娜", None],
        "id_number": ["610902198001010019", None, "61090219800101001x"],
        "phone": ["13812345678", "0915-3212345", float("nan")],
        "special_groups": [["低保", "残疾"], [], None],
        "address": ["大北街1号", "大北街2号", "大北街3号"],
    },
    index=[10, 11, 12],
)


def test_masked_fields_stay_masked_for_the_wrong_role():
    out = masking.mask_frame(ROSTER, "leader")
    assert out["id_number"].tolist()[0] == "610902********0019"
    assert out["phone"].tolist()[:2] == ["138****5678", "0915***2345"]
    assert out["head_name"].tolist()[:2] == ["张*", "欧***"]
    assert out["special_groups"].tolist()[:2] == [[masking.HIDDEN_GROUPS], []]
    assert out["address"].equals(ROSTER["address"])
    assert list(out.index) == [10, 11, 12]
    # missing values stay missing (pandas 3: NaN, not None)
    assert pd.isna(out["id_number"][11]) and pd.isna(out["phone"][12])


def test_every_role_sees_id_numbers_masked_and_only_grid_leaders_see_special_groups():
    for role in auth.ROLES:
        out = masking.mask_frame(ROSTER, role)
        assert out["id_number"][10] == "610902********0019", role
        expected = ["低保", "残疾"] if role == "grid_leader" else [masking.HIDDEN_GROUPS]
        assert out["special_groups"][10] == expected, role
    assert masking.mask_frame(ROSTER, "grid_worker")["phone"][10] == "13812345678"
    assert masking.mask_frame(ROSTER, "admin")["phone"][10] == "138****5678"
    assert masking.mask_frame(ROSTER, None)["head_name"][10] == "张*"  # unknown: all masked


def test_mask_record_masks_residents_too():
    record = {
        "head_name": "张三",
        "id_number": "610902198001010019",
        "residents": [{"name": "张小三", "id_number": "610902201001010011", "phone": None}],
    }
    out = masking.mask_record(record, "clerk")
    assert out["head_name"] == "张三"
    assert out["id_number"] == "610902********0019"
    assert out["residents"][0]["id_number"] == "610902********0011"
    assert record["id_number"] == "610902198001010019"  # the input is not changed


def test_seed_demo_refuses_outside_the_demo(monkeypatch, capsys):
    import dataclasses

    import cli.commands.users as users
    from cli.main import main

    monkeypatch.setattr(users, "settings", dataclasses.replace(users.settings, demo=False))
    assert main(["users", "seed-demo"]) == 2
    assert "拒绝创建示例账号" in capsys.readouterr().err
