"""Amounts in minor units, and their conversion to the company currency.

A posting (:mod:`.posting`) is in integer minor units of the wallet currency; the Odoo layer
books each line in the company currency too. The conversion here is exact (``Decimal``, never a
float) and keeps the entry balanced to the minor unit.
"""

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext

# ISO 4217 minor units of the currencies that do not have two.
_EXPONENTS = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}


def currency_exponent(code):
    """ISO 4217 minor units of ``code``: 0 for JPY, ISK, KRW..., 3 for KWD, BHD..., else 2."""
    return _EXPONENTS.get(code.upper() if isinstance(code, str) else code, 2)


def minor_to_float(value, exponent):
    """Integer minor units as the float an ERP stores (exact to the currency's rounding)."""
    return float(Decimal(value).scaleb(-exponent))


def to_company_currency(posting, rate, posting_exponent, company_exponent):
    """Each line's amount in company minor units; the result sums to exactly 0.

    ``rate`` (a ``Decimal``) is company currency units per one posting-currency unit. Each line is
    converted exactly and rounded half-up (away from zero on a tie, so a refund mirrors its
    purchase). The residue left by rounding goes to the expense line(s), as Odoo's own expenses
    book it: the wallet (the contra) shows the exact conversion of the money that moved, and the
    cost takes the øre. Should an expense line then stray a minor unit or more from its exact
    value (only possible with many lines), the rest of the residue goes one unit each to the
    lines whose exact value is nearest the other way, so that every line stays within one minor
    unit of its exact conversion. A posting without expense lines (a wallet transfer) puts the
    residue on its largest line.
    """
    if isinstance(rate, bool) or not isinstance(rate, (Decimal, int)):
        raise TypeError("rate must be a Decimal (never a float)")
    rate = Decimal(rate)
    if not rate.is_finite() or rate <= 0:
        raise ValueError("rate must be a positive, finite Decimal")
    for exponent in (posting_exponent, company_exponent):
        if isinstance(exponent, bool) or not isinstance(exponent, int) or not 0 <= exponent <= 8:
            raise ValueError("currency exponents are whole numbers between 0 and 8")
    amounts = [line.amount for line in posting.lines]
    if sum(amounts) != 0:
        raise ValueError("the posting does not balance")
    with localcontext() as ctx:
        ctx.prec = 200  # exact: no product of these operands has more digits
        factor = rate.scaleb(company_exponent - posting_exponent)
        exact = [Decimal(amount) * factor for amount in amounts]
        result = [int(value.to_integral_value(rounding=ROUND_HALF_UP)) for value in exact]
        floors = [int(value.to_integral_value(rounding=ROUND_FLOOR)) for value in exact]
        takers = {i for i, line in enumerate(posting.lines) if line.role == "expense"}
        if not takers:  # no expense line: the largest line takes the residue
            takers = {max(range(len(amounts)), key=lambda i: (abs(amounts[i]), -i), default=0)}

        def allowed(i, value):
            if i in takers:  # an expense line takes the residue, up to one unit off its value
                return abs(value - exact[i]) <= 1
            return floors[i] <= value <= floors[i] + (exact[i] != floors[i])

        residue = -sum(result)
        while residue:
            step = 1 if residue > 0 else -1
            movable = [i for i in range(len(amounts)) if allowed(i, result[i] + step)]
            if not movable:  # pragma: no cover - impossible: the exact values sum to 0
                raise ArithmeticError("cannot balance the converted posting")
            best = min(
                movable, key=lambda i: (i not in takers, abs(exact[i] - result[i] - step), i)
            )
            result[best] += step
            residue -= step
    return tuple(result)


def spread(amount, weights):
    """``amount`` (integer minor units) shared in proportion to ``weights``; sums to ``amount``.

    Used to share one tax amount over an Odoo tax's repartition lines (25 % / 75 % for partly
    deductible VAT). ``weights`` are non-negative ``Decimal`` s or integers (percentages; their
    sum need not be 100). Each share is rounded half-up (away from zero on a tie, so a refund
    mirrors its purchase); the rounding remainder goes to the largest share (the first of equal
    ones), so the shares add up to ``amount`` exactly.
    """
    weights = [Decimal(weight) for weight in weights]
    if not weights or any(not w.is_finite() or w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError("weights must be non-negative, finite, and not all zero")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("amount must be an integer number of minor units")
    with localcontext() as ctx:
        ctx.prec = 200
        whole = sum(weights)
        sign = -1 if amount < 0 else 1
        shares = [
            sign * int((abs(amount) * w / whole).to_integral_value(rounding=ROUND_HALF_UP))
            for w in weights
        ]
    largest = max(range(len(weights)), key=lambda i: (weights[i], -i))
    shares[largest] += amount - sum(shares)
    return shares
