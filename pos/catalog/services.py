"""Catalogue rules (商品目录). The search key makes one indexed column searchable by
name, brand, model, pinyin initials and barcode."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin

from .models import Product


def pinyin_initials(text: str) -> str:
    """'海尔冰箱' → 'hebx' (letters and digits kept as they are, lower-cased)."""
    return "".join(p[0] for p in lazy_pinyin(text or "", style=Style.FIRST_LETTER, errors="default") if p).lower()


def build_search_key(product: Product, brand_name: str) -> str:
    parts = [
        product.name, brand_name, product.model, product.spec, product.colour, product.barcode or "",
        pinyin_initials(product.name), pinyin_initials(brand_name),
    ]
    return " ".join(p.strip().lower() for p in parts if p)[:400]
