"""The AWS CLI credential chain: profiles, credential_process, AssumeRole, IMDSv2.

Every test checks which key signed the GetMetricStatistics request; the fake's
finalizer checks every signature.
"""

import json
import os
import stat
import sys
import textwrap

import pytest

from conftest import DEAD_URL, NOW, gms_requests, put

ROLE_ARN = "arn:aws:iam::123456789012:role/streamwatch"


@pytest.fixture
def data(fake):
    put(fake, "2026-11-25T10:04:00Z", 12.0)


def assert_signed_by(fake, akid, token=None):
    qs = gms_requests(fake)
    assert qs, "no GetMetricStatistics request"
    for q in qs:
        assert (q.akid, q.token) == (akid, token), q.describe()
        if token:
            assert "x-amz-security-token" in q.signed_headers


def write_script(path, body: str):
    """An executable Python script (Debian's /usr/bin/python3)."""
    path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


# --------------------------------------------------------------------------- static profiles

@pytest.mark.parametrize("select,file", [("AWS_PROFILE", "credentials"),
                                         ("aws.profile", "credentials"),
                                         ("AWS_PROFILE", "config")])
def test_static_profile(sw, fake, data, select, file):
    c = fake.issue_session()
    # [default] holds a key AWS refuses: using it instead of the named profile fails.
    fake.add_key("AKIADEFAULTPROFILE01", "default-secret", invalid=True)
    sw.clear_env_creds()
    section = "[streamwatch]" if file == "credentials" else "[profile streamwatch]"
    sw.write_aws_file(file, f"""\
[default]
aws_access_key_id = AKIADEFAULTPROFILE01
aws_secret_access_key = default-secret

{section}
aws_access_key_id = {c["AccessKeyId"]}
aws_secret_access_key = {c["SecretAccessKey"]}
aws_session_token = {c["SessionToken"]}
""")
    if select == "AWS_PROFILE":
        sw.env["AWS_PROFILE"] = "streamwatch"
        sw.write_config()
    else:
        sw.write_config(aws={"profile": "streamwatch"})
    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()
    assert_signed_by(fake, c["AccessKeyId"], c["SessionToken"])
    assert sw.alarm()["state"] == "ALARM"


def test_env_beats_profile(sw, fake, data):
    fake.add_key("AKIAPROFILEKEY000001", "profile-secret", invalid=True)
    sw.write_aws_file("credentials", "[default]\naws_access_key_id = AKIAPROFILEKEY000001\n"
                                     "aws_secret_access_key = profile-secret\n")
    assert sw.run_once(NOW).rc == 0, sw.explain()
    assert_signed_by(fake, fake.DEFAULT_AKID)


# --------------------------------------------------------------------------- credential_process

CRED_HELPER = """\
    import json, os, sys
    args = sys.argv[1:]
    out = args[args.index("--out") + 1]
    with open(f"/proc/{os.getppid()}/comm") as f:
        parent = f.read().strip()
    calls = []
    if os.path.exists(out):
        calls = json.load(open(out))
    calls.append({"argv": args, "parent": parent})
    json.dump(calls, open(out, "w"))
    sets = CREDS
    c = sets[min(len(calls), len(sets)) - 1]
    print(json.dumps(dict(c, Version=1)))
"""


def credential_process(sw, creds_list, extra=""):
    """A credential_process helper printing creds_list[i] on call i (last one repeats).
    Returns (argv-log path, expected argv)."""
    helper = write_script(sw.tmp / "cred-helper.py",
                          CRED_HELPER.replace("CREDS", json.dumps(creds_list)))
    log = sw.tmp / "calls.json"
    sw.clear_env_creds()
    # The quoted argument has a space and a $: a shell would split or expand it.
    sw.write_aws_file("config", f"""\
[profile proc]
credential_process = {helper} --label "two words $HOME" --out {log}
{extra}""")
    sw.env["AWS_PROFILE"] = "proc"
    return log, ["--label", "two words $HOME", "--out", str(log)]


def test_credential_process(sw, fake, data):
    c = fake.issue_session()
    log, argv = credential_process(sw, [c])
    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()
    assert_signed_by(fake, c["AccessKeyId"], c["SessionToken"])
    calls = json.loads(log.read_text())
    assert calls[0]["argv"] == argv                       # split like shlex, not a shell
    assert calls[0]["parent"] not in ("sh", "dash", "bash")  # run directly, no shell
    assert c["SecretAccessKey"] not in r.stdout + r.stderr


def test_credential_process_failure(sw, fake, data):
    helper = write_script(sw.tmp / "bad-helper.py", """\
        import sys
        sys.stderr.write("helper exploded\\n")
        sys.exit(3)
    """)
    sw.clear_env_creds()
    sw.write_aws_file("config", f"[default]\ncredential_process = {helper}\n")
    r = sw.run_once(NOW)
    assert r.rc == 1, sw.explain()
    assert r.stderr.strip(), "no error message"
    assert gms_requests(fake) == []  # nothing sent without credentials


def test_expired_token_refreshes_and_retries_once(sw, fake, data):
    """AWS says ExpiredToken before the advertised Expiration: refresh, retry once."""
    first, second = fake.issue_session(), fake.issue_session()
    fake.expire_key(first["AccessKeyId"])
    log, _ = credential_process(sw, [first, second])
    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()
    qs = gms_requests(fake)
    assert [(q.akid, q.error) for q in qs] == [(first["AccessKeyId"], "ExpiredTokenException"),
                                               (second["AccessKeyId"], None)]
    assert len(json.loads(log.read_text())) == 2
    assert sw.alarm()["state"] == "ALARM"


# --------------------------------------------------------------------------- AssumeRole

@pytest.mark.parametrize("variant", ["basic", "options", "sts-endpoint"])
def test_assume_role(sw, fake, data, variant):
    sw.clear_env_creds()
    sw.write_aws_file("credentials", f"[base]\naws_access_key_id = {fake.DEFAULT_AKID}\n"
                                     f"aws_secret_access_key = {fake.DEFAULT_SECRET}\n")
    extra = ("external_id = ext-123\nrole_session_name = streamwatch-it\n"
             "duration_seconds = 1800\n") if variant == "options" else ""
    sw.write_aws_file("config", f"[profile agent]\nrole_arn = {ROLE_ARN}\n"
                                f"source_profile = base\n{extra}")
    sw.env["AWS_PROFILE"] = "agent"
    if variant == "sts-endpoint":  # CloudWatch from aws.endpoint, STS from its own variable
        sw.env.update(AWS_ENDPOINT_URL=DEAD_URL, AWS_ENDPOINT_URL_STS=fake.url)
        sw.write_config(aws={"endpoint": fake.url})
    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()

    reqs = fake.aws_requests()
    sts = reqs[0]
    assert (sts.op, sts.service, sts.region, sts.akid, sts.token, sts.status) == \
        ("AssumeRole", "sts", fake.region, fake.DEFAULT_AKID, None, 200), sts.describe()
    f = sts.form
    assert (f["Action"], f["Version"], f["RoleArn"]) == ("AssumeRole", "2011-06-15", ROLE_ARN)
    assert 2 <= len(f["RoleSessionName"]) <= 64
    if variant == "options":
        assert (f["ExternalId"], f["RoleSessionName"], f["DurationSeconds"]) == \
            ("ext-123", "streamwatch-it", "1800")
    assert [q.op for q in reqs].count("AssumeRole") == 1
    (issued,) = fake.issued
    assert [q.op for q in reqs[1:]] == ["GetMetricStatistics"]
    assert_signed_by(fake, issued["AccessKeyId"], issued["SessionToken"])
    assert sw.alarm()["state"] == "ALARM"


# --------------------------------------------------------------------------- IMDSv2

def test_imds_v2(sw, fake, data):
    sw.clear_env_creds()
    del sw.env["AWS_EC2_METADATA_DISABLED"]
    sw.env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = fake.url + "/"
    r = sw.run_once(NOW)
    assert r.rc == 0, sw.explain()
    imds = [q for q in fake.requests if q.api == "imds"]
    assert [q.op for q in imds][:3] == ["IMDSToken", "IMDSRoleList", "IMDSCredentials"], \
        [(q.method, q.path, q.status) for q in imds]
    tok = imds[0]
    assert tok.method == "PUT" and tok.status == 200
    assert 1 <= int(tok.header("x-aws-ec2-metadata-token-ttl-seconds")) <= 21600
    for q in imds[1:]:
        assert q.method == "GET" and q.status == 200 and q.header("x-aws-ec2-metadata-token")
    assert imds[2].path == f"/latest/meta-data/iam/security-credentials/{fake.imds_role}"
    c = fake.imds_credentials()
    assert_signed_by(fake, c["AccessKeyId"], c["SessionToken"])
    assert sw.alarm()["state"] == "ALARM"


def test_no_credentials_anywhere(sw, fake, data):
    sw.clear_env_creds()
    r = sw.run_once(NOW)
    assert r.rc == 1, sw.explain()
    assert r.stderr.strip()
    assert fake.requests == []  # neither AWS nor IMDS (disabled) was contacted


def test_home_aws_dir_is_not_used_when_env_points_elsewhere(sw, fake, data):
    """~/.aws (HOME=tmp) must lose to AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE."""
    fake.add_key("AKIAHOMEDIRKEY000001", "home-secret", invalid=True)
    home_aws = sw.tmp / ".aws"
    home_aws.mkdir()
    (home_aws / "credentials").write_text("[default]\naws_access_key_id = AKIAHOMEDIRKEY000001"
                                          "\naws_secret_access_key = home-secret\n")
    sw.clear_env_creds()
    sw.write_aws_file("credentials", f"[default]\naws_access_key_id = {fake.DEFAULT_AKID}\n"
                                     f"aws_secret_access_key = {fake.DEFAULT_SECRET}\n")
    assert sw.run_once(NOW).rc == 0, sw.explain()
    assert_signed_by(fake, fake.DEFAULT_AKID)
    assert os.path.exists(home_aws / "credentials")
