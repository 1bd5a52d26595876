# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The connection's screens: one connection per company, so no New, Delete or Duplicate, and
no empty counter shown on a healthy connection."""

from lxml import etree

from odoo.tests import tagged

from .common import PleoCase


@tagged("post_install", "-at_install")
class TestConnectionScreens(PleoCase):
    def arch(self, view_type):
        views = self.Connection.with_user(self.manager_a).get_views([(False, view_type)])
        return etree.fromstring(views["views"][view_type]["arch"])

    def test_no_new_delete_or_duplicate(self):
        for view_type, refused in (
            ("list", ("create", "delete")),
            ("form", ("create", "delete", "duplicate")),
        ):
            root = self.arch(view_type)
            for attribute in refused:
                with self.subTest(view=view_type, attribute=attribute):
                    self.assertEqual(root.get(attribute), "false")

    def test_failed_checks_hidden_when_none(self):
        (field,) = self.arch("form").xpath("//field[@name='failure_streak']")
        self.assertEqual(field.get("invisible"), "not failure_streak")
