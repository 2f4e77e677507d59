"""Hub config: env expansion, unknown keys, bad URLs -- one clear line naming the file."""

from __future__ import annotations

import pytest

from core.config import ConfigFileError, load_config


def write(tmp_path, text):
    p = tmp_path / "contracthub.yaml"
    p.write_text(text)
    return p


def test_defaults_put_the_store_next_to_the_config(tmp_path):
    cfg = load_config(write(tmp_path, "store: {}\n"))
    assert cfg.store_url == f"sqlite:///{tmp_path / 'contracthub.db'}"
    assert cfg.blob_folder == tmp_path / "blobs"


def test_env_references_are_expanded(tmp_path):
    p = write(tmp_path, "store: {url: '${DB_URL}'}\nconnections:\n"
                        "  sf: {type: memory, secret: '${SF_SECRET}'}\n")
    cfg = load_config(p, env={"DB_URL": "postgresql://u@127.0.0.1/x", "SF_SECRET": "s3"})
    assert cfg.store_url == "postgresql://u@127.0.0.1/x"
    assert cfg.connections["sf"]["secret"] == "s3"


def test_missing_env_var_is_named(tmp_path):
    p = write(tmp_path, "connections:\n  sf: {type: memory, secret: '${SF_SECRET}'}\n")
    with pytest.raises(ConfigFileError, match=r"contracthub.yaml.connections.sf.secret: "
                                              r"environment variable SF_SECRET is not set"):
        load_config(p, env={})


@pytest.mark.parametrize("text, message", [
    ("stor: {}\n", "unknown key 'stor'"),
    ("store: {uri: x}\n", "unknown key 'store.uri'"),
    ("store: {url: 'not a url'}\n", "store.url is not a database URL"),
    ("store: {url: 'mysql://root@localhost/x'}\n", "must be sqlite:// or postgresql://"),
    ("connections: {sf: {login_url: x}}\n", "connection 'sf' needs a 'type'"),
    ("syncs: [{name: a, connection: nope, mapping: m.yaml}]\n", "no connection named 'nope'"),
    ("store: [\n", "not valid YAML"),
])
def test_bad_configs_stop_with_one_line(tmp_path, text, message):
    p = write(tmp_path, text)
    with pytest.raises(ConfigFileError) as exc:
        load_config(p, env={})
    assert message in str(exc.value) and str(p) in str(exc.value)
    assert "\n" not in str(exc.value)


def test_explicit_missing_file_is_an_error(tmp_path):
    with pytest.raises(ConfigFileError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
