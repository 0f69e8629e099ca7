"""Who the demo trainees are: names, departments, the mix of stages, texts they write."""

from __future__ import annotations

import random
from datetime import timedelta
from functools import lru_cache

from ..statuses import IN_PROGRESS, NOT_STARTED, OVERDUE

EMPLOYEE_PREFIX = "D"
CHUNK = 1000  # trainees per transaction (and per progress line)
RENDER_BATCH = 20  # certificates per task sent to a worker process
POOL_FROM = 50  # fewer certificates than this are rendered in this process

VALID, EXPIRING, EXPIRED, REVOKED = "valid", "expiring", "expired", "revoked"
CERTIFIED = (VALID, EXPIRING, EXPIRED, REVOKED)
#: How many trainees of every block of 40 are in each state.
MIX = ((NOT_STARTED, 6), (IN_PROGRESS, 14), (OVERDUE, 8), (VALID, 6), (EXPIRING, 3), (EXPIRED, 2),
       (REVOKED, 1))

DEPARTMENTS = ("催收一部", "催收二部", "催收三部", "催收四部", "催收五部", "催收六部", "催收七部", "催收八部",
               "客服中心", "风控部")
DEPARTMENT_WEIGHTS = (10, 10, 10, 10, 9, 9, 8, 8, 6, 4)


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    """``"王:wang 李:li"`` → ``(("王", "wang"), ("李", "li"))``: characters with their pinyin."""
    return tuple((item.split(":")[0], item.split(":")[1]) for item in text.split())


SURNAMES = _pairs(
    "王:wang 李:li 张:zhang 刘:liu 陈:chen 杨:yang 黄:huang 赵:zhao 吴:wu 周:zhou 徐:xu 孙:sun "
    "马:ma 朱:zhu 胡:hu 郭:guo 何:he 高:gao 林:lin 罗:luo 郑:zheng 梁:liang 谢:xie 宋:song 唐:tang "
    "许:xu 韩:han 冯:feng 邓:deng 曹:cao 彭:peng 曾:zeng 肖:xiao 田:tian 董:dong 袁:yuan 潘:pan "
    "于:yu 蒋:jiang 蔡:cai 余:yu 杜:du 叶:ye 程:cheng 苏:su 魏:wei 吕:lv 丁:ding 任:ren 沈:shen "
    "姚:yao 卢:lu 姜:jiang 崔:cui 钟:zhong 谭:tan 陆:lu 汪:wang 范:fan 金:jin 石:shi 廖:liao")
GIVEN = _pairs(
    "伟:wei 芳:fang 娜:na 敏:min 静:jing 丽:li 强:qiang 磊:lei 军:jun 洋:yang 勇:yong 艳:yan 杰:jie "
    "娟:juan 涛:tao 明:ming 超:chao 秀:xiu 霞:xia 平:ping 刚:gang 英:ying 华:hua 玉:yu 萍:ping 红:hong "
    "文:wen 建:jian 国:guo 志:zhi 海:hai 晓:xiao 子:zi 欣:xin 浩:hao 宇:yu 轩:xuan 梓:zi 涵:han 怡:yi "
    "佳:jia 雨:yu 思:si 嘉:jia 俊:jun 博:bo 婷:ting 雪:xue 琳:lin 慧:hui 鹏:peng 辉:hui 斌:bin 宁:ning "
    "凯:kai 瑞:rui 晨:chen 阳:yang 丹:dan 颖:ying 倩:qian 楠:nan 帆:fan 鑫:xin 莉:li 蕾:lei 璐:lu "
    "晶:jing 冬:dong 春:chun 亮:liang 飞:fei 龙:long 彬:bin 峰:feng 琪:qi 然:ran")

SUMMARY_SENTENCES = (
    "通过本次培训，我系统学习了信用卡催收的完整流程，从了解客户情况到制定还款方案，每一步都有明确的规范。",
    "我深刻认识到合规是催收工作的底线，任何情况下都不得使用暴力、威胁或者侮辱性的语言。",
    "在沟通技巧部分，我学会了先倾听、再共情、后引导的方法，能够更好地安抚情绪激动的客户。",
    "保护客户隐私非常重要，不能向无关第三人透露欠款信息，联系家属和单位时更要格外谨慎。",
    "上门催收前要做好充分准备，两人同行、出示工作证件、全程录音，并且只在规定的时间内进行。",
    "实战模拟让我在接近真实的场景中练习应对拒绝还款和长期失联的客户，也发现了自己表达上的不足。",
    "案例分析帮助我理解了违规催收可能带来的客户投诉、监管处罚和银行声誉风险。",
    "七条工作指引为日常工作提供了清晰的标准，我会把它们放在手边，遇到问题随时对照。",
    "今后我会认真记录每一次通话的要点，按时跟进客户的还款承诺，做到有据可查。",
    "对于确有困难的客户，我会主动介绍分期、延期等合规的还款方案，帮助客户渡过难关。",
    "我也意识到情绪管理的重要性，面对客户的抱怨和指责，要始终保持冷静和专业。",
    "培训中的测验让我及时发现了知识上的薄弱环节，特别是关于催收时间和联系频率的规定。",
    "我将把所学内容运用到实际工作中，坚持依法催收、文明催收、有效催收。",
    "感谢培训中心的精心安排，也感谢培训老师耐心细致的讲解和对每一份作业的点评。",
    "今后我还会继续学习相关的法律法规和监管要求，不断提升自己的业务能力和服务水平。",
    "我体会到，尊重客户并不会降低催收效果，反而更容易赢得客户的信任与配合。",
    "在与客户协商时，要把还款金额、日期和方式说清楚，并请客户确认，避免事后产生争议。",
    "遇到客户提出投诉或者表示要寻求法律帮助时，应当如实记录并按流程及时上报。",
)
ESSAY_ANSWERS = (
    "先保持冷静，耐心倾听客户的诉求，确认对方情绪稳定后再说明还款安排。",
    "不与客户争吵，表示理解对方的处境，再根据实际情况协商可行的还款方案。",
    "控制语速和语气，复述客户的主要意思，让客户感到被尊重，然后引导到解决问题上。",
)
REVIEW_COMMENTS = ("", "", "总结认真，同意通过。", "内容充实，联系实际较好。", "体会深刻，继续保持。")
ESSAY_COMMENTS = ("", "回答要点齐全。", "思路清楚，可再具体一些。")
REVOKE_REASONS = ("复核发现结业考试存在代考行为，撤销证书并安排重新培训。",
                  "持证人因违规催收被客户投诉，经调查属实，撤销证书。",
                  "证书持有人信息登记错误，撤销后待更正重新颁发。")

#: A certificate each worker renders once before real work, so fonts are loaded and cached.
WARM_UP_SNAPSHOT = {
    "serial": "CC-2026-0000-0000", "holder_name": "王小明", "employee_no": "D00000", "department": "催收一部",
    "course_title": "信用卡催收合规培训", "hours": 6, "score": 90.0, "issued_on": "2026-01-01",
    "expires_on": "2028-01-01", "verify_url": "http://127.0.0.1:5000/verify/CC-2026-0000-0000",
    "issuer": "信用卡催收培训中心", "signatory_name": "李培训", "signatory_title": "培训中心主任",
}

MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


class DemoError(Exception):
    pass


def employee_no(number: int) -> str:
    return f"{EMPLOYEE_PREFIX}{number:05d}"


@lru_cache(maxsize=64)
def _block(seed: int, block: int) -> tuple[str, ...]:
    states = [state for state, count in MIX for _ in range(count)]
    random.Random(f"{seed}:block:{block}").shuffle(states)
    return tuple(states)


def state_of(seed: int, number: int) -> str:
    """The state of trainee ``number`` (from 1): every block of trainees holds the whole ``MIX``."""
    size = sum(count for _, count in MIX)
    block, place = divmod(number - 1, size)
    return _block(seed, block)[place]


