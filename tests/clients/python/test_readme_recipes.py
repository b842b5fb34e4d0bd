"""The README's plain-shell CI recipe and its curl example, run as written from a fresh shell
(bash -eo pipefail) with the binary under test first on the PATH."""

import os
import re
import subprocess

from conftest import ROOT


def readme_block(marker):
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    return re.search(r"<!-- " + marker + r" -->\n```sh\n(.*?)```", text, re.S).group(1)


def shell(script, env, timeout=120):
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], env=env,
                          capture_output=True, text=True, timeout=timeout)


def binary():
    return os.path.abspath(os.environ.get("S3STRICT_BIN", os.path.join(ROOT, "target", "debug", "s3strict")))


def clean_env(binary):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S3STRICT_", "AWS_"))}
    env["PATH"] = os.path.dirname(binary) + os.pathsep + env["PATH"]
    return env


def test_the_shell_recipe_runs_and_cleans_up(tmp_path):
    script = readme_block("shell-recipe")
    # Say where the temporary data directory was, to check it is gone afterwards.
    script += '\necho "data: $(grep -o \'data=[^ ]*\' "$dir/s3strict.log" | head -1)"\n'
    env = clean_env(binary())
    env["TMPDIR"] = str(tmp_path)
    out = shell(script, env)
    assert out.returncode == 0, (out.stdout, out.stderr)
    data = re.search(r"data: data=(\S+)", out.stdout).group(1)
    assert data.startswith(str(tmp_path)), data
    assert not os.path.exists(data), f"{data} is removed when the server stops"


def test_the_curl_example_shows_the_error_document(server):
    env = clean_env(binary())
    env["S3STRICT_ENDPOINT"] = server.endpoint
    out = shell(readme_block("curl-example"), env)
    assert out.returncode == 0, (out.stdout, out.stderr)
    lines = out.stdout.splitlines()
    assert "hello" in lines, out.stdout
    assert "<Code>SignatureDoesNotMatch</Code>" in out.stdout, out.stdout
    assert "/demo/hullo.txt" in out.stdout, out.stdout
