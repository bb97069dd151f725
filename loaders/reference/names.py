"""Plainly synthetic names for invented records, so nobody mistakes them for real ones.

People get a surname, 某 and a number (``张某0123``), the way Chinese reports anonymize people;
places and organizations get 测试 ("test") and a zero-padded counter (``测试花园00012``).
"""

from __future__ import annotations

import random

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)

COMPOUND_PREFIX = {"商品房": "测试花园", "城中村": "测试村", "单位宿舍": "测试宿舍", "其他": "测试小区"}


def person(rng: random.Random, number: int) -> str:
    """A synthetic person's name: surname + 某 + four digits of the member number."""
    return f"{rng.choice(SURNAMES)}某{number % 10000:04d}"


def compound(number: int, kind: str) -> str:
    return f"{COMPOUND_PREFIX[kind]}{number:05d}"


def building(number: int) -> str:
    return f"测试大厦{number:04d}"


def enterprise(number: int, industry: str) -> str:
    if industry == "律师":
        return f"测试律师事务所{number:05d}"
    if industry == "社会服务":
        return f"测试社会服务中心{number:05d}"
    return f"测试{industry}企业{number:05d}"


def project(number: int, category: str) -> str:
    return f"测试{category}项目{number:05d}"
