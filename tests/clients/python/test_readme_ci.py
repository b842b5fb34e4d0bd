"""The README's GitHub Actions job ("Check your presigner in CI"), run as GitHub would run its
steps (bash -eo pipefail), with the install step replaced by the binary under test and the port
by a free one."""

import os
import re
import signal
import socket
import subprocess

import yaml

from conftest import ROOT


def readme_job():
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    block = re.search(r"<!-- ci-example -->\n```yaml\n(.*?)```", text, re.S).group(1)
    return yaml.safe_load(block)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_steps(steps, tmp_path, port, on_failure=False):
    """Runs the job's steps as GitHub does: bash -eo pipefail, RUNNER_TEMP, and what a step
    appends to $GITHUB_ENV in the environment of the later steps."""
    binary = os.path.abspath(os.environ.get("S3STRICT_BIN", os.path.join(ROOT, "target", "debug", "s3strict")))
    github_env = tmp_path / "github_env"
    github_env.touch()
    env = dict(os.environ, RUNNER_TEMP=str(tmp_path), GITHUB_ENV=str(github_env),
               PATH=os.path.dirname(binary) + os.pathsep + os.environ["PATH"])
    env.pop("S3STRICT_ENDPOINT", None)
    for step in steps:
        if "run" not in step or step.get("name") == "Install s3strict":
            continue
        for line in github_env.read_text().splitlines():
            name, _, value = line.partition("=")
            env[name] = value
        if ("if" in step) != on_failure:
            continue
        script = step["run"].replace("127.0.0.1:9000", f"127.0.0.1:{port}")
        out = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], env=env,
                             capture_output=True, text=True, timeout=120)
        yield step["name"], out


def stop_servers(tmp_path):
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmdline = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
            except OSError:
                continue
            if "serve" in cmdline and str(tmp_path) in cmdline:
                os.kill(int(pid), signal.SIGTERM)


def test_the_readme_ci_job_passes(tmp_path):
    job = readme_job()["jobs"]["presigner"]
    port = free_port()
    try:
        for name, out in run_steps(job["steps"], tmp_path, port):
            assert out.returncode == 0, (name, out.stdout, out.stderr)
        # The failure step works too: it shows the server's decisions.
        for name, out in run_steps(job["steps"], tmp_path, port, on_failure=True):
            assert out.returncode == 0 and '"verdict"' in out.stdout, (name, out.stdout, out.stderr)
    finally:
        stop_servers(tmp_path)


def test_the_readme_ci_job_catches_a_broken_presigner(tmp_path):
    """The same job with a presigner that signs another Content-Type than the client sends fails,
    and check-url says why."""
    job = readme_job()["jobs"]["presigner"]
    for step in job["steps"]:
        if step.get("name") == "Presigned URLs, judged as S3 would":
            step["run"] = step["run"].replace(
                "presign() { s3strict presign \"$@\"; }",
                "presign() { s3strict presign \"${@/text\\/plain/text\\/plain; charset=utf-8}\"; }",
            )
    port = free_port()
    try:
        results = dict(run_steps(job["steps"], tmp_path, port))
        out = results["Presigned URLs, judged as S3 would"]
        assert out.returncode != 0
        assert 'cause: the header content-type was signed as "text/plain; charset=utf-8" but sent as "text/plain"' in out.stdout, out.stdout
    finally:
        stop_servers(tmp_path)
