"""The words of the cleaned-leads files and tables, in English and Chinese."""

from __future__ import annotations

__all__ = ["COLUMN_WORDS", "SHEET_WORDS", "TABLE_WORDS", "VALUE_ZH", "column_label", "sheet_name", "value_zh"]

SHEET_WORDS = {
    "clean": ("Clean", "有效线索"),
    "rejected": ("Rejected", "剔除线索"),
    "summary": ("Summary", "渠道汇总"),
}

COLUMN_WORDS = {
    "phone_e164": ("phone (E.164)", "电话（E.164）"),
    "phone_valid": ("phone valid", "电话有效"),
    "phone_type": ("phone type", "号码类型"),
    "phone_region": ("phone region", "号码地区"),
    "phone_carrier": ("carrier", "运营商"),
    "phone_extension": ("extension", "分机号"),
    "email_norm": ("e-mail (normalised)", "邮箱（规范化）"),
    "email_valid": ("e-mail valid", "邮箱有效"),
    "suspicious": ("suspicious", "可疑标记"),
    "reject_reason": ("reject reason", "剔除原因"),
    "reason": ("reason", "原因"),
    "duplicate_of": ("duplicate of", "重复于"),
    "kept": ("kept", "保留"),
    "channel": ("channel", "渠道"),
    "leads": ("leads", "线索数"),
    "valid_phone_pct": ("valid phone %", "有效电话占比"),
    "valid_email_pct": ("valid e-mail %", "有效邮箱占比"),
    "suspicious_leads": ("suspicious", "可疑线索"),
    "duplicates": ("duplicates", "重复线索"),
    "rejected": ("rejected", "剔除"),
    "clean": ("clean", "有效线索"),
    "cost": ("cost", "成本"),
    "cost_per_clean_lead": ("cost per clean lead", "每条有效线索成本"),
}

#: the shorter headers of the summary table the CLI prints
TABLE_WORDS = {
    "channel": ("channel", "渠道"),
    "leads": ("leads", "线索"),
    "valid_phone_pct": ("phone ok", "电话有效"),
    "valid_email_pct": ("e-mail ok", "邮箱有效"),
    "suspicious_leads": ("suspicious", "可疑"),
    "duplicates": ("dupes", "重复"),
    "rejected": ("rejected", "剔除"),
    "clean": ("clean", "有效"),
    "cost": ("cost", "成本"),
    "cost_per_clean_lead": ("per clean", "单条成本"),
}

#: channel labels of the summary's special rows
NO_CHANNEL = ("(no channel)", "（无渠道）")
ALL_CHANNELS = ("all channels", "全部渠道")


def column_label(name: str, lang: str) -> str:
    """The header of a column: its en/zh words for the columns screening adds, else its name."""
    words = COLUMN_WORDS.get(name)
    if words is None:
        return name
    return words[1] if lang == "zh" else words[0]


def sheet_name(key: str, lang: str) -> str:
    en, zh = SHEET_WORDS[key]
    return zh if lang == "zh" else en


#: the Chinese of the values screening writes (reasons, flags, number types)
VALUE_ZH = {
    "no contact": "无联系方式",
    "invalid phone": "电话无效",
    "invalid email": "邮箱无效",
    "test number": "测试号码",
    "disposable email": "一次性邮箱",
    "duplicate of": "重复于",
    "repeated_digits": "重复数字",
    "sequential_digits": "连续数字",
    "test_number": "测试号码",
    "shared_phone": "多条线索共用号码",
    "disposable_email": "一次性邮箱",
    "mobile": "手机",
    "fixed_line": "固定电话",
    "fixed_line_or_mobile": "固话或手机",
    "voip": "网络电话",
    "toll_free": "免费电话",
    "premium_rate": "付费电话",
    "shared_cost": "分摊费用电话",
    "personal_number": "个人号码",
    "pager": "寻呼机",
    "uan": "统一号码",
    "voicemail": "语音信箱",
    "unknown": "未知",
}


def value_zh(text: object) -> object:
    """A value screening wrote, in Chinese: each comma-separated part translated ("duplicate of L00012"
    keeps the id); anything else unchanged."""
    if not isinstance(text, str) or not text:
        return text
    parts = []
    for part in text.split(","):
        word = part.strip()
        if word.startswith("duplicate of "):
            parts.append(f"{VALUE_ZH['duplicate of']} {word.removeprefix('duplicate of ')}")
        else:
            parts.append(VALUE_ZH.get(word, word))
    return "，".join(parts) if len(parts) > 1 else parts[0]
