"""The command line as an operator and an editor use it: output, JSON and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

SEED = "他说号码显示境外是因为电脑显示的是终端序列号，让我把钱转到安全账户"


def run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True, timeout=120)


def test_check_marks_the_evidence_in_the_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", SEED]) == 0
    out = capsys.readouterr().out
    assert "高风险" in out and "fake_authority" in out
    assert "[[终端序列号]]" in out and "[[安全账户]]" in out
    assert "110" in out


def test_check_speaks_the_regions_script_and_quotes_the_citizen_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    """Taiwan: headings and advice in traditional characters; the citizen's simplified words are
    quoted as they wrote them."""
    assert main(["check", "--region", "tw", "公安局说你涉嫌洗钱，把钱转到安全账户"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("高風險") and "證據：" in out and "現在該做的：" in out
    assert "«安全账户»" in out  # not 安全賬戶: the citizen's own characters
    assert main(["check", "公安局说你涉嫌洗钱，把钱转到安全账户"]) == 0
    assert capsys.readouterr().out.startswith("高风险")


def test_check_json_is_the_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", SEED, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["risk"] == "high" and data["scam_type"] == "fake_authority"
    assert any(item["kind"] == "rebuttal" for item in data["evidence"])
    for item in data["evidence"]:
        assert SEED[item["span"][0] : item["span"][1]] == item["text"]


def test_check_reads_standard_input_including_broken_bytes() -> None:
    result = run_cli("check", "-", "--json", stdin=SEED.encode() + b"\xff\xfe\x00")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["risk"] == "high"


def test_check_refuses_an_empty_message() -> None:
    result = run_cli("check", "-", stdin=b"  \n")
    assert result.returncode == 2
    assert b"empty" in result.stderr


def test_check_cuts_a_huge_message_and_says_so() -> None:
    result = run_cli("check", "-", "--json", stdin=("x" * 150_000).encode())
    assert result.returncode == 0
    assert json.loads(result.stdout)["truncated"] is True


def test_validate_passes_on_the_bundled_library(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--strict"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("ok:")


def test_validate_lists_every_problem_and_fails(library_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = library_copy / "types" / "fake_authority.yaml"
    text = path.read_text(encoding="utf-8").replace("category: fake_authority", "category: nonsense", 1)
    path.write_text(text.replace("status: reviewed", "status: finished", 1), encoding="utf-8")
    assert main(["validate", str(library_copy)]) == 1
    err = capsys.readouterr().err
    assert "nonsense" in err or "status" in err
    assert "fake_authority.yaml" in err


def test_validate_fails_a_regex_spelled_in_a_word_that_folding_replaces(
    library_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regexes read the folded text, where written Cantonese is already standard Chinese ("咗" is "了"):
    a pattern spelled in Cantonese could never match, so validation names it."""
    path = library_copy / "signals.yaml"
    text = path.read_text(encoding="utf-8")
    assert "(告诉|提供|报|念|读|发)(给)?" in text
    path.write_text(text.replace("(告诉|提供|报|念|读|发)(给)?", "(告诉|提供|报|念|读|发)(俾)?", 1), encoding="utf-8")
    assert main(["validate", str(library_copy)]) == 1
    err = capsys.readouterr().err
    assert "'俾' (folded to '给')" in err and "asks_code" in err


def test_check_stops_quietly_when_its_reader_goes_away() -> None:
    """`antifraud check ... | head -1`: the pipe closes early; no traceback, a clean exit."""
    command = [sys.executable, "-m", "bot.cli", "check", "--json", SEED]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # before the verdict is written: the command takes a while to start
        err = process.stderr.read()
        assert process.wait(timeout=120) == 0, err
    assert b"Traceback" not in err


def test_eval_reports_the_metrics_by_source_and_language(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [
        {"id": "a:1", "text": SEED, "label": "scam", "types": ["fake_authority"], "source": "a", "lang": "zh"},
        {"id": "a:2", "text": "明天下午开会", "label": "benign", "types": [], "source": "a", "lang": "zh"},
        {"id": "b:1", "text": "See you at 5", "label": "benign", "types": [], "source": "b", "lang": "en"},
        {
            "id": "b:2",
            "text": "WIN a free ringtone, text YES now",
            "label": "spam",
            "types": [],
            "source": "b",
            "lang": "en",
        },
    ]
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n", encoding="utf-8")
    assert main(["eval", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rows"] == 4
    assert data["scam_recall"] == 1.0 and data["false_positive_rate"] == 0.0 and data["type_accuracy"] == 1.0
    metric_keys = {"rows", "scam_recall", "false_positive_rate", "type_accuracy", "spam_flagged"}
    assert set(data["by_source"]) == {"a", "b"} and set(data["by_lang"]) == {"zh", "en"}
    assert set(data["by_source"]["a"]) == metric_keys
    assert main(["eval", str(path)]) == 0
    assert "recall" in capsys.readouterr().out


def test_eval_names_a_broken_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok", "label": "benign"}\n{not json\n', encoding="utf-8")
    assert main(["eval", str(path)]) == 2
    assert "bad.jsonl:2" in capsys.readouterr().err


def test_eval_of_a_missing_file_fails_cleanly(tmp_path: Path) -> None:
    assert main(["eval", str(tmp_path / "missing.jsonl")]) == 2
