"""iDoklad-specific hints: what the merchant should do, as English msgids (translated by the web app)."""

from __future__ import annotations

from ..i18n import N_

HINTS = {
    "idoklad.invalid_credentials": N_(
        "iDoklad did not accept the Client ID and Client secret. In iDoklad open Settings (Nastavení) → API, "
        "copy both values of the API access again and paste them here; a regenerated secret replaces the old one."
    ),
    "idoklad.plan_lacks_api": N_(
        "This iDoklad agenda is on the Free plan, which has no API access. Upgrade the agenda to a paid plan "
        "in iDoklad (Settings → Subscription), then verify the connection again."
    ),
    "idoklad.subscription_inactive": N_(
        "The iDoklad subscription of this agenda has expired or must be changed. Log in to iDoklad in the "
        "browser, renew the subscription or finish the pending change of plan, then verify again."
    ),
    "idoklad.permission_denied": N_(
        "The iDoklad user behind these API credentials may not do this. Give the user administrator rights in "
        "iDoklad (Settings → Users), or log in to the iDoklad web app if it asks you to confirm a plan "
        "downgrade."
    ),
    "idoklad.rate_limited": N_(
        "iDoklad limits how many API requests an agenda may make. Fynode will try again automatically when "
        "the limit resets; if this happens often, check the monthly request allowance of your iDoklad plan."
    ),
    "idoklad.validation": N_(
        "iDoklad refused the document. Check the fields it names below, for example the customer's details, "
        "the VAT rates of the items or the number series, then try again."
    ),
}
