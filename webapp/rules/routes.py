"""Settings -> Rules: when each document is created, in plain words; presets to confirm after
activation; the merchant's own rules. Only the shop's owner changes rules."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.guards import merchants_only
from ..models import DocumentRule
from ..services.accounts.tenancy import current_shop_id, get_or_404
from ..services.connections import activation
from ..services.documents import rules
from . import wording
from .forms import RuleForm

bp = Blueprint("rules", __name__, url_prefix="/settings/rules")
merchants_only(bp)


def _owner_only() -> None:
    if getattr(current_user, "role", "owner") not in ("owner", "admin", "support"):
        abort(403)


def _integration():
    return activation.current_connection(current_shop_id())


def _series(integration) -> dict[str, list[tuple[str, str]]]:
    return {kind: wording.series_choices(integration, kind) for kind in wording.KIND_NAMES}


@bp.get("/")
def index():
    integration = _integration()
    rows = rules.rules_of(integration) if integration is not None else []
    return render_template(
        "rules/index.html",
        integration=integration,
        rules=rows,
        describe=lambda rule: wording.describe(rule, integration),
        presets=rules.PRESETS if integration is not None and not rows else (),
        series=_series(integration) if integration is not None else {},
    )


@bp.post("/presets")
def confirm_presets():
    _owner_only()
    integration = _integration()
    if integration is None:
        return redirect(url_for("rules.index"))
    chosen = request.form.getlist("preset")
    series = {kind: request.form.get(f"series_{kind}", "") for kind in wording.KIND_NAMES}
    allowed = _series(integration)
    series = {k: v for k, v in series.items() if v in {value for value, _label in allowed.get(k, [])}}
    added = rules.confirm_presets(integration, [p.key for p in rules.PRESETS if p.key in chosen], series)
    flash(
        _("%(count)s rules are on. Documents are now created by themselves.", count=len(added))
        if added
        else _("No rule was switched on."),
        "success" if added else "warn",
    )
    return redirect(url_for("rules.index"))


def _form_page(form: RuleForm, rule: DocumentRule | None, integration, status: int = 200):
    return render_template("rules/edit.html", form=form, rule=rule, integration=integration), status


@bp.route("/new", methods=["GET", "POST"])
def new():
    _owner_only()
    integration = _integration()
    if integration is None:
        return redirect(url_for("rules.index"))
    form = RuleForm(series=_series(integration))
    if request.method == "POST":
        if not form.validate_on_submit():
            return _form_page(form, None, integration, 422)
        rules.save(
            integration,
            None,
            kind=form.kind.data,
            trigger=form.trigger.data,
            conditions=form.conditions(),
            options=form.options(),
            enabled=form.enabled.data,
        )
        flash(_("The rule was saved."), "success")
        return redirect(url_for("rules.index"))
    return _form_page(form, None, integration)


@bp.route("/<int:rule_id>/edit", methods=["GET", "POST"])
def edit(rule_id: int):
    _owner_only()
    rule = get_or_404(DocumentRule, rule_id)
    integration = _integration()
    form = RuleForm(series=_series(integration))
    if request.method == "POST":
        if not form.validate_on_submit():
            return _form_page(form, rule, integration, 422)
        rules.save(
            integration,
            rule,
            kind=form.kind.data,
            trigger=form.trigger.data,
            conditions=form.conditions(),
            options=form.options(),
            enabled=form.enabled.data,
        )
        flash(_("The rule was saved."), "success")
        return redirect(url_for("rules.index"))
    form.fill_from(rule)
    return _form_page(form, rule, integration)


@bp.post("/<int:rule_id>/toggle")
def toggle(rule_id: int):
    _owner_only()
    rule = get_or_404(DocumentRule, rule_id)
    rules.set_enabled(rule, not rule.enabled)
    return redirect(url_for("rules.index"))


@bp.route("/<int:rule_id>/delete", methods=["GET", "POST"])
def delete(rule_id: int):
    """A second step that works without JavaScript: the page says what happens, the form does it."""
    _owner_only()
    rule = get_or_404(DocumentRule, rule_id)
    if request.method == "POST" and request.form.get("confirm") == "yes":
        rules.delete(rule)
        flash(_("The rule was deleted. Documents it created stay as they are."), "success")
        return redirect(url_for("rules.index"))
    return render_template("rules/delete.html", rule=rule, sentence=wording.describe(rule, _integration()))
