"""The KSeF side of Fakturownia (KSeF.md), simulated.

- Kinds sent to KSeF: vat, correction, vat_mp, vat_margin, wdt, export_products, advance, final.
  Any other kind gets `gov_status: "not_applicable"` when sending is attempted.
- Sending is attempted on create/update with `gov_save_and_send` (body or query), on
  `GET /invoices/{id}.json?send_to_ksef=yes`, or automatically by the account's
  `gov_auto_send_mode` (`pl_companies`: buyer_company and buyer_country PL or empty;
  `all_companies`; `all`).
- A sent invoice is `processing` for `delay_seconds` (2 s by default; `POST /_sandbox/ksef`
  changes it), then `ok` with `gov_id` "{seller NIP}-{YYYYMMDD of receipt}-{12 hex}", or
  `send_error` with `gov_error_messages`. The state is settled lazily on every read, by the clock.
- KSeF rejects (send_error): a buyer NIP with a wrong checksum, an issue date in the future,
  a number already accepted for the same seller NIP and kind ("Duplikat faktury", code 440).
  `POST /_sandbox/ksef {"outcome": "send_error"|"server_error"}` forces an outcome for the next
  sends (`"auto"` restores the rules above).
"""

from __future__ import annotations

import hashlib
import re

KSEF_KINDS = ("vat", "correction", "vat_mp", "vat_margin", "wdt", "export_products", "advance", "final")
OUTCOMES = ("auto", "ok", "send_error", "server_error")
NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)


def normalize_nip(raw: str) -> str:
    text = re.sub(r"[\s-]", "", raw or "").upper()
    return text[2:] if text.startswith("PL") else text


def nip_format_ok(raw: str) -> bool:
    return bool(re.fullmatch(r"\d{10}", normalize_nip(raw)))


def nip_checksum_ok(raw: str) -> bool:
    nip = normalize_nip(raw)
    if not re.fullmatch(r"\d{10}", nip):
        return False
    total = sum(int(d) * w for d, w in zip(nip, NIP_WEIGHTS)) % 11
    return total != 10 and total == int(nip[9])


def gov_id(seller_nip: str, received_yyyymmdd: str, invoice_id: int, attempt: int = 0) -> str:
    suffix = hashlib.sha1(f"{invoice_id}-{attempt}-{received_yyyymmdd}".encode()).hexdigest()[:12].upper()
    return f"{normalize_nip(seller_nip)}-{received_yyyymmdd}-{suffix}"


def auto_send(mode: str | None, buyer_company: bool, buyer_country: str) -> bool:
    if mode == "all":
        return True
    if mode == "all_companies":
        return buyer_company
    if mode == "pl_companies":
        return buyer_company and (buyer_country or "PL").upper() == "PL"
    return False


def fa3_xml(inv: dict) -> str:
    """A small FA(3)-shaped XML of the invoice (enough to download and inspect)."""
    from xml.sax.saxutils import escape

    rows = "".join(
        f"<FaWiersz><NrWierszaFa>{n}</NrWierszaFa><P_7>{escape(p['name'])}</P_7><P_8B>{p['quantity']}</P_8B>"
        f"<P_9A>{p['price_net']}</P_9A><P_11>{p['total_price_net']}</P_11><P_12>{escape(p['tax'])}</P_12></FaWiersz>"
        for n, p in enumerate(inv["positions"], 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Faktura xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/">'
        f"<Podmiot1><DaneIdentyfikacyjne><NIP>{escape(normalize_nip(inv['seller_tax_no']))}</NIP>"
        f"<Nazwa>{escape(inv['seller_name'])}</Nazwa></DaneIdentyfikacyjne></Podmiot1>"
        f"<Podmiot2><DaneIdentyfikacyjne><NIP>{escape(normalize_nip(inv['buyer_tax_no']))}</NIP>"
        f"<Nazwa>{escape(inv['buyer_name'])}</Nazwa></DaneIdentyfikacyjne></Podmiot2>"
        f"<Fa><KodWaluty>{inv['currency']}</KodWaluty><P_1>{inv['issue_date']}</P_1>"
        f"<P_2>{escape(inv['number'])}</P_2><P_15>{inv['price_gross']}</P_15>{rows}</Fa></Faktura>\n"
    )


def upo_xml(inv: dict) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<UPO><NumerKSeFDokumentu>{inv['gov_id']}</NumerKSeFDokumentu>"
        f"<DataPrzyjecia>{inv['gov_send_date']}</DataPrzyjecia><Sandbox>true</Sandbox></UPO>\n"
    )
