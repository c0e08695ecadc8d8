"""Settings readers fail loudly on values they cannot use."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from tracker.env import env_bool, env_int, env_list, env_url


def test_booleans_accept_the_usual_words(monkeypatch):
    for word, value in [("true", True), ("YES", True), ("1", True), ("off", False), ("", False)]:
        monkeypatch.setenv("FLAG", word)
        assert env_bool("FLAG") is value


def test_a_misspelt_boolean_stops_start_up(monkeypatch):
    monkeypatch.setenv("FLAG", "ture")
    with pytest.raises(ImproperlyConfigured, match="FLAG='ture' is not a boolean"):
        env_bool("FLAG")


def test_integers_are_checked(monkeypatch):
    monkeypatch.setenv("SIZE", "abc")
    with pytest.raises(ImproperlyConfigured, match="SIZE='abc' is not a whole number"):
        env_int("SIZE", 1)
    monkeypatch.setenv("SIZE", "0")
    with pytest.raises(ImproperlyConfigured, match="SIZE=0 is below the minimum 1"):
        env_int("SIZE", 1, minimum=1)


def test_unset_values_fall_back_to_defaults(monkeypatch):
    monkeypatch.delenv("NOPE", raising=False)
    assert env_bool("NOPE", True) is True
    assert env_int("NOPE", 7) == 7
    assert env_list("NOPE", ["a"]) == ["a"]


def test_lists_split_on_commas(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example, b.example ,,")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]


def test_site_addresses_must_be_web_addresses(monkeypatch):
    monkeypatch.delenv("SITE", raising=False)
    assert env_url("SITE", "http://127.0.0.1:8000") == "http://127.0.0.1:8000"
    monkeypatch.setenv("SITE", " https://tracker.school.org/ ")
    assert env_url("SITE", "http://127.0.0.1:8000") == "https://tracker.school.org"
    for bad in ["tracker.school.org", "ftp://tracker.school.org", "https://", "http://a:99999"]:
        monkeypatch.setenv("SITE", bad)
        with pytest.raises(ImproperlyConfigured, match="is not a web address"):
            env_url("SITE", "http://127.0.0.1:8000")
