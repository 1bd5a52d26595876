# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Hostile and odd input: what people paste, and what a broken or hostile Pleo sends.

* Keys: every malformed input gets a clear UserError through each of the three places a key is
  typed (connection form, rotation wizard, settings) and the sandbox records **no request at
  all**, so no request with a broken header was ever sent; surrounding whitespace is trimmed.
* Answers: redirects are not followed (a second loopback server stands where the redirect
  points and must receive nothing), huge bodies and gzip bombs are cut at 1 MiB, a wrong content
  type, JSON of the wrong shape and a subject of another kind are refused with a clear message.
  The sandbox's scripted answers (``pleo_sandbox/scripted.py``) send what Pleo never would:
  real HTTP through the whole stack.
* A property-based test (hypothesis) over key input through the Odoo layer.
"""

import gzip
import json
import string
from contextlib import closing
from unittest.mock import patch

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models.pleo_connection_vault import _get_vault
from . import pleo_sandbox
from .common import PleoCase
from .pleo_sandbox import ANY_COMPANY, COMPANIES, INSTALLATIONS, INTROSPECT
from .pleo_sandbox.scripted import RawAnswer, Script, ScriptedServer, basic_auth_user

MIB = 1024 * 1024

#: (what is pasted, a part of the message the user must get)
MALFORMED_KEYS = [
    ("   ", "No API key was entered"),
    ("\t\r\n", "No API key was entered"),
    ("abcdefgh ijklmnop", "spaces or line breaks"),
    ("abcdefgh\nijklmnop", "spaces or line breaks"),
    ("abcdefgh\r\nX-Injected: 1", "spaces or line breaks"),
    ("abcdefgh\tijklmnop", "spaces or line breaks"),
    ("clé-abcdefghijkl", "(U+00E9 at position 3"),
    ("“abcdefghijklmnop”", "(U+201C at position 1"),
    ("abcdefgh\u200bijkl", "(U+200B at position 9"),
    ("abcdefgh\x00ijkl", "(U+0000 at position 9"),
    ("abcdefgh\x7fijkl", "(U+007F at position 9"),
    ("k" * 10_000, "too long (10000 characters, at most 512)"),
    ("https://external.pleo.io/v1/introspect", "web address"),
    ("www.pleo.io/abcdefgh", "web address"),
    ("Bearer abcdefghijklmnop", "Authorization header value"),
    ("bearer\tabcdefghijklmnop", "Authorization header value"),
    ("Basic YWJjZGVmZ2g6", "Authorization header value"),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "OAuth access token (JWT)"),
    ("abcdefghijklmnop:", "contains ':'"),
]

#: A URN-shaped subject of each odd kind, and the message it gets.
SUBJECTS = [
    ("urn:pleo:organization:o-1", "belongs to a Pleo organization"),
    ("urn:pleo:team:t-1", "belongs to a Pleo team"),
    ("urn:pleo:company:", "subject of unknown kind"),
    ("urn:other:company:c-1", "subject of unknown kind"),
    (None, "subject of unknown kind"),
]


def introspection(subject_urn, scope="export-jobs:read export-jobs:write export-items:read"):
    data = {
        "authMethod": "API_KEY",
        "clientId": "c",
        "scope": scope + " accounts:read companies:read",
        "applicationName": "Odoo",
    }
    if subject_urn is not None:
        data["subjectURN"] = subject_urn
    return RawAnswer(body=json.dumps({"data": data}).encode())


@tagged("post_install", "-at_install")
class TestHostileKeys(PleoCase):
    """Malformed keys never reach Pleo, through any of the places a key is typed."""

    def entry_points(self):
        """``{name: function(text)}``: the three places a manager pastes a key."""
        return {
            "connection form": lambda text: self.conn_a.with_user(self.manager_a).write(
                {"api_key": text}
            ),
            "rotation wizard": lambda text: (
                self.env["pleo.rotate.key"]
                .with_user(self.manager_a)
                .create({"connection_id": self.conn_a.id, "new_api_key": text})
            ),
            "settings": lambda text: (
                self.env["res.config.settings"]
                .with_user(self.admin_a)
                .create({"pleo_api_key": text})
            ),
        }

    def test_malformed_keys_get_a_clear_message_and_no_request(self):
        self.connect()  # the rotation wizard needs a bound connection
        token = self.stored_token(self.conn_a)
        self.sandbox.reset_requests()
        for where, paste in self.entry_points().items():
            for text, message in MALFORMED_KEYS:
                with self.subTest(where=where, key=text[:24]):
                    with self.assertRaises(UserError) as caught:
                        paste(text)
                    self.assertIn(message, str(caught.exception))
                    if len(text.strip()) >= 8:
                        self.assertNotIn(text.strip()[:8], str(caught.exception))
                    self.assertEqual(self.sandbox.count(), 0, "a malformed key reached Pleo")
                    self.assertEqual(self.stored_token(self.conn_a), token)
                    self.assertEqual(self.conn_a.state, "connected")

    def test_an_empty_input_changes_nothing(self):
        for where, paste in self.entry_points().items():
            with self.subTest(where=where):
                paste("")
                paste(False)
                self.assertEqual(self.conn_a.state, "draft")
                self.assertFalse(self.stored_token(self.conn_a))
        self.assertEqual(self.sandbox.count(), 0)

    def test_whitespace_around_the_key_is_trimmed(self):
        vault = _get_vault()[0]
        paddings = [("  ", "\n"), ("\t", "\r\n"), ("\u00a0", "\u2003"), ("\n\n", "")]
        for (where, paste), (before, after) in zip(
            self.entry_points().items(), paddings, strict=False
        ):
            with self.subTest(where=where):
                if where == "rotation wizard":
                    self.connect()
                key = self.mint()
                self.sandbox.reset_requests()
                paste(before + key + after)
                self.assertEqual(self.conn_a.state, "connected")
                self.assertEqual(vault.decrypt(self.stored_token(self.conn_a)), key)
                self.assertTrue(self.sandbox.requests)
                self.assertTrue(all(r.auth_valid for r in self.sandbox.requests))
                self.conn_a.with_user(self.manager_a).action_disconnect()

    # ------------------------------------------------------------------ property

    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def test_key_input_property(self, data):
        """Any text typed in the key field either connects with exactly the trimmed key or
        raises a UserError, never another exception; invalid text stores nothing and sends
        nothing."""
        text, expected = data.draw(key_inputs())
        if expected and expected not in self.minted:
            self.sandbox.mint_key(company_id=self.pleo_property, key=expected)
            self.minted.add(expected)
        self.sandbox.reset_requests()
        # Each example starts from the same draft connection: roll it back to this savepoint.
        with closing(self.env.cr.savepoint()):
            self.check_key_input(text, expected)
        self.env.invalidate_all()

    def check_key_input(self, text, expected):
        connection = self.conn_a.with_user(self.manager_a)
        if expected:
            connection.write({"api_key": text})
            self.assertEqual(self.conn_a.state, "connected")
            self.assertEqual(_get_vault()[0].decrypt(self.stored_token(self.conn_a)), expected)
            self.assertTrue(all(r.auth_valid for r in self.sandbox.requests))
        elif not text:
            connection.write({"api_key": text})  # nothing typed: nothing happens
        else:
            with self.assertRaises(UserError) as caught:
                connection.write({"api_key": text})
            self.assertTrue(str(caught.exception).strip())
        if not expected:
            self.assertEqual(self.conn_a.state, "draft")
            self.assertFalse(self.stored_token(self.conn_a))
            self.assertEqual(self.sandbox.count(), 0)

    def setUp(self):
        super().setUp()
        self.minted = set()
        self.pleo_property = self.sandbox.add_company("Pleo Property ApS")


_KEY_ALPHABET = string.ascii_letters + string.digits + "-_~+/="  # no dot: no URL, www. or JWT
_BASE64URL = string.ascii_letters + string.digits + "-_"


@st.composite
def key_inputs(draw):
    """``(text, expected key or None)``: valid keys with odd whitespace around them, and the
    ways people break them."""
    core = draw(st.text(alphabet=_KEY_ALPHABET, min_size=1, max_size=64))
    pad = st.text(alphabet=" \t\r\n\u00a0\u2003\u3000", max_size=3)
    before, after = draw(pad), draw(pad)
    kind = draw(st.sampled_from(["valid", "inner", "prefix", "jwt", "long", "blank"]))
    if kind == "valid":
        return before + core + after, core
    if kind == "inner":
        core = core if len(core) > 1 else core + "k"
        at = draw(st.integers(min_value=1, max_value=len(core) - 1))
        bad = draw(st.sampled_from([" ", "\n", "\r\n", "\t", ":", "é", "\u200b", "\x00", "“"]))
        return before + core[:at] + bad + core[at:] + after, None
    if kind == "prefix":
        prefix = draw(st.sampled_from(["Bearer ", "basic ", "https://", "http://", "www."]))
        return before + prefix + core + after, None
    if kind == "jwt":  # three base64url segments, the first one of a JSON object
        part = draw(st.text(alphabet=_BASE64URL, min_size=1, max_size=40))
        return f"{before}eyJ{part}.{part}.{part}{after}", None
    if kind == "long":
        return before + core * (513 // len(core) + 1) + after, None
    return before + after, None


@tagged("post_install", "-at_install")
class TestHostilePleo(PleoCase):
    """Odd and hostile answers: the key stays home, nothing is stored, the message is clear."""

    def setUp(self):
        super().setUp()
        self.script = Script(self.sandbox).__enter__()
        self.addCleanup(self.script.__exit__)

    def assertRefused(self, message, key=None):
        key = key or self.mint()
        with self.assertRaises(UserError) as caught:
            self.connect(key=key)
        self.assertIn(message, str(caught.exception))
        self.assertNotIn(key, str(caught.exception))
        self.assertEqual(self.conn_a.state, "draft")
        self.assertFalse(self.stored_token(self.conn_a))
        return str(caught.exception)

    def test_unscripted_requests_reach_the_sandbox(self):
        """The set-up itself: with nothing scripted, Save & Test goes through to the sandbox."""
        key = self.connect()
        self.assertEqual(self.conn_a.state, "connected")
        self.assertEqual(self.sandbox.count("GET", INTROSPECT), 1)
        self.assertEqual(self.script.received[0].basic_user, key)

    def test_redirects_are_not_followed(self):
        """Each redirect status, on each call: refused, and the place it points to receives
        nothing (neither the request nor the key)."""
        elsewhere = ScriptedServer().start()
        self.addCleanup(elsewhere.stop)
        self.startPatcher(
            patch.object(pleo_sandbox.server, "REDIRECT_TARGET", elsewhere.url)  # the Location
        )
        # Nothing scripted: the sandbox sends the redirect itself (a fault).
        for status in (301, 302, 303, 307, 308):
            for path, method in (
                (INTROSPECT, "GET"),
                (INSTALLATIONS, "GET"),
                (INSTALLATIONS, "POST"),
            ):
                with self.subTest(status=status, path=path, method=method):
                    self.sandbox.clear_faults()
                    self.sandbox.inject_fault(path, method=method, kind="redirect", status=status)
                    self.assertRefused("redirect")
        # Disconnect and the health check meet a redirect too.
        self.sandbox.clear_faults()
        self.connect()
        self.sandbox.inject_fault("/v1/*", kind="redirect", status=307)
        self.conn_a.sudo().last_check_date = "2000-01-01"
        with patch.object(
            self.registry["ir.cron"], "_commit_progress", lambda *args, **kwargs: float("inf")
        ):
            self.env["pleo.connection"]._cron_health_check()
        self.conn_a.with_user(self.manager_a).action_disconnect()
        self.assertEqual(elsewhere.received, [], "a redirect was followed")
        # The target does record what reaches it (the check above can fail).
        requests.get(elsewhere.url + "/probe", timeout=5)
        self.assertEqual([r.path for r in elsewhere.received], ["/probe"])

    def test_huge_bodies_and_gzip_bombs_are_cut(self):
        bomb = gzip.compress(b'{"data": ' + b" " * (20 * MIB) + b"}")
        self.assertLess(len(bomb), 100_000)
        cases = {
            "gzip bomb": RawAnswer(body=bomb, headers={"Content-Encoding": "gzip"}),
            "endless body": RawAnswer(body=b'{"data": ', stream=3 * MIB),
            "announced huge body": RawAnswer(body=b" " * (2 * MIB)),
        }
        for name, answer in cases.items():
            for path in (INTROSPECT, INSTALLATIONS):
                with self.subTest(name=name, path=path):
                    self.script.answers = {path: answer}
                    self.assertRefused("larger than 1 MiB")

    def test_wrong_content_types(self):
        body = introspection("urn:pleo:company:c-1").body
        for content_type, message in (
            ("text/plain", "content type 'text/plain', not JSON"),
            ("application/xml", "content type 'application/xml', not JSON"),
            (None, "content type 'none', not JSON"),
            ("text/html; charset=utf-8", "web page (HTML)"),
        ):
            with self.subTest(content_type=content_type):
                self.script.answers = {INTROSPECT: RawAnswer(body=body, content_type=content_type)}
                self.assertRefused(message)

    def test_json_of_the_wrong_shape(self):
        company = '{"data": {"id": "c"}}'
        for path, body, message in (
            (INTROSPECT, "[]", "(the answer is missing or not an object)"),
            (INTROSPECT, '{"data": []}', "(data is missing or not an object)"),
            (INTROSPECT, '{"data": {"authMethod": "API_KEY"}}', "(data.clientId is missing"),
            (
                INTROSPECT,
                '{"data": {"authMethod": "API_KEY", "clientId": "c", "scope": ["a"]}}',
                "(data.scope is missing or not text)",
            ),
            (INTROSPECT, "[" * 100_000 + "]" * 100_000, "could not be read (not JSON)"),
            (INSTALLATIONS, '{"id": 5}', "(id is missing or not text)"),
            (INSTALLATIONS, '{"data": {"id": "i"}}', "(id is missing or not text)"),
            (ANY_COMPANY, company, "(data.name is missing or not text)"),
        ):
            with self.subTest(path=path, body=body[:30]):
                if path == ANY_COMPANY:
                    self.script.answers = {
                        f"{COMPANIES}/{self.pleo_a}": RawAnswer(body=company.encode())
                    }
                elif path == INSTALLATIONS:
                    # GET finds none (404), POST answers the odd shape.
                    self.script.answers = {("POST", INSTALLATIONS): RawAnswer(body=body.encode())}
                else:
                    self.script.answers = {path: RawAnswer(body=body.encode())}
                self.assertRefused(message)

    def test_subjects_of_another_kind(self):
        for urn, message in SUBJECTS:
            with self.subTest(urn=urn):
                self.script.answers = {INTROSPECT: introspection(urn)}
                self.assertRefused(message)
        self.script.answers = {}
        self.assertRefused(
            "belongs to a Pleo organization", key=self.mint(subject_kind="organization")
        )

    def test_a_pleo_that_echoes_the_key(self):
        """An error answer that repeats the key (or its Basic form) is shown masked."""

        def echo(handler):
            key = basic_auth_user(handler.headers)
            text = f"unknown key {key} ({handler.headers.get('Authorization')})"
            return RawAnswer(400, json.dumps({"type": "BAD_KEY", "message": text}).encode())

        self.script.answers = {INTROSPECT: echo}
        message = self.assertRefused("BAD_KEY")
        self.assertIn("********", message)
