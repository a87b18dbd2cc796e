"""Fakturoid-specific hints: what the merchant should do, per error code or situation."""

from __future__ import annotations

from ..i18n import N_

HINTS: dict[str, str] = {
    "fakturoid.exchange_rate_needed": N_(
        "The document is in another currency than your Fakturoid account, and Fakturoid needs an exchange "
        "rate for it. Issue documents in the account's currency, or add an account in that currency in "
        "Fakturoid."
    ),
    "fakturoid.invalid_credentials": N_(
        "Fakturoid did not accept the credentials. If you connected by signing in, connect again and allow "
        "access. If you pasted a Client ID and Client Secret, copy them again from Settings > User account; "
        "a deleted pair stops working."
    ),
    "fakturoid.subscription_inactive": N_(
        "Fakturoid has blocked this account because a Fakturoid invoice for your plan is unpaid. Pay it or "
        "choose a plan in Fakturoid's Settings > Plan and payments, then verify the connection again."
    ),
    "fakturoid.permission_denied": N_(
        "Your Fakturoid user may only read this account. Ask the account owner to give you a role that may "
        "issue invoices in Settings > Users, or connect with the owner's sign-in."
    ),
    "fakturoid.account_not_found": N_(
        "This Fakturoid user has no account with that name. Copy the account name (slug) from the address "
        "app.fakturoid.cz/<account>/dashboard, or pick another account after signing in."
    ),
    "fakturoid.rate_limited": N_(
        "Fakturoid allows about 400 API requests a minute. Documents wait and go out when the limit resets."
    ),
    "fakturoid.consent_denied": N_(
        "Access was not allowed on Fakturoid's page. Start the connection again and choose Allow, or paste "
        "a Client ID and Client Secret instead."
    ),
    "fakturoid.no_bank_account": N_(
        "Fakturoid issues invoices only when the account has a bank account. Add one in Settings > Bank "
        "accounts in Fakturoid, then try again."
    ),
    "fakturoid.email_needs_paid_plan": N_(
        "Fakturoid sends invoices by e-mail only on paid plans. Upgrade the plan in Fakturoid, or let Fynode "
        "send the PDF instead."
    ),
    "fakturoid.email_delivery_disabled": N_(
        "Fakturoid has turned off e-mail delivery for this account (for example after spam complaints). "
        "Contact Fakturoid support, or let Fynode send the PDF instead."
    ),
    "fakturoid.email_quota_exhausted": N_(
        "Fakturoid's daily e-mail limit for this account is used up. The e-mail goes out tomorrow."
    ),
    "fakturoid.already_paid": N_("Fakturoid already shows this document as paid; no payment was added."),
    "fakturoid.document_locked": N_("The document is locked in Fakturoid. Unlock it there first, then try again."),
    "fakturoid.cannot_delete": N_(
        "Fakturoid does not delete this document: it has a correction, a paid invoice or tax documents, or it "
        "is locked. Cancel it with a credit note instead."
    ),
    "fakturoid.oauth_reconnect": N_(
        "The connection to Fakturoid was disconnected or its access was revoked. Connect again and allow access."
    ),
}

# Error code -> the Fakturoid hint shown by default for it.
HINT_OVERRIDES: dict[str, str] = {
    code: f"fakturoid.{code}"
    for code in (
        "invalid_credentials",
        "subscription_inactive",
        "permission_denied",
        "account_not_found",
        "rate_limited",
        "consent_denied",
    )
}
