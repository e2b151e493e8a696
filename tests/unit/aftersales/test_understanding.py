"""Keyword understanding: intents, emotions, slots and defect words in zh and en; languages by script."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from aftersales.policy.decisions import DEFECT_TAXONOMY, INTENTS
from aftersales.errors import ConfigError, InvalidInput
from aftersales.understanding.keywords import DEFAULT_LEXICON, KeywordUnderstanding, Lexicon, Understanding


@pytest.fixture(scope="module")
def nlu() -> KeywordUnderstanding:
    return KeywordUnderstanding()


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("我买的开衫降价了，能保价吗", "price_protection"),
        ("刚买就便宜了二十块，能退差价吗", "price_protection"),
        ("为什么还没发货", "logistics_status"),
        ("我的快递到哪了", "logistics_status"),
        ("优惠券可以叠加使用吗", "coupon_question"),
        ("我想退货退款", "return_refund"),
        ("毛衣勾丝了", "defect_complaint"),
        ("收到的裙子有质量问题", "defect_complaint"),
        ("能换个大一码的吗", "exchange"),
        ("我要改收货地址", "address_change"),
        ("身高165穿多大码", "size_fit"),
        ("寄到印尼要交关税吗", "duty_tax"),
        ("这件是什么面料的", "product_question"),
        ("转人工", "ask_human"),
        ("你好，在吗", "greeting_thanks"),
        ("今天天气不错", "other"),
        ("The price dropped right after I bought it, can I get price protection?", "price_protection"),
        ("I paid more than the price shown now, is there a price adjustment?", "price_protection"),
        ("Where is my order? It has not shipped yet.", "logistics_status"),
        ("Has my parcel been dispatched?", "logistics_status"),
        ("Can I use two coupons on one order?", "coupon_question"),
        ("I want a refund", "return_refund"),
        ("the sweater has a snag", "defect_complaint"),
        ("The mug arrived cracked", "defect_complaint"),
        ("Can I exchange it for another colour?", "exchange"),
        ("I need to change my address", "address_change"),
        ("It is too small, which size should I get?", "size_fit"),
        ("Will I pay import duties in Indonesia?", "duty_tax"),
        ("What material is this made of?", "product_question"),
        ("Let me talk to a real person", "ask_human"),
        ("Thank you!", "greeting_thanks"),
        ("This is just a story", "other"),
    ],
)
def test_intents(nlu, text, intent):
    got = nlu.understand(text)
    assert got.intent == intent, got
    assert 0.0 < got.intent_confidence <= 1.0


def test_defect_words_outweigh_a_greeting_and_an_exchange_request(nlu):
    got = nlu.understand("Hello. I bought this sweater last week, and it already has a snag. "
                         "A thread is pulled out of the knit. Can I exchange it?")
    assert got.intent == "defect_complaint" and got.defect_mentions == ["snag"]


def test_confidence_is_lower_when_intents_compete(nlu):
    clear = nlu.understand("降价了，能保价吗")
    mixed = nlu.understand("降价了，能换货吗")
    assert clear.intent_confidence > mixed.intent_confidence


@pytest.mark.parametrize(
    ("text", "emotion"),
    [
        ("你们这什么垃圾质量，气死我了", "angry"),
        ("我要投诉，太过分了！！", "angry"),
        ("This is RIDICULOUS!! I want my money back", "angry"),
        ("I'm not happy with this at all", "angry"),
        ("我很着急，明天要用", "anxious"),
        ("It's urgent, I need it by Friday", "anxious"),
        ("谢谢，太满意了", "happy"),
        ("Thanks, I love it", "happy"),
        ("我对这件衣服不满意", "angry"),
        ("请问什么时候发货", "neutral"),
        ("Where is my parcel", "neutral"),
    ],
)
def test_emotions(nlu, text, emotion):
    assert nlu.understand(text).emotion == emotion


def test_exclamations_make_anger_stronger_not_joy_angry(nlu):
    calm = nlu.understand("太差了")
    loud = nlu.understand("太差了！！！")
    assert calm.emotion == loud.emotion == "angry" and loud.emotion_score > calm.emotion_score
    assert nlu.understand("Thanks!!").emotion == "happy"


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("我的订单O1004为什么还没发货", {"order_id": "O1004", "phone": None, "amounts": []}),
        ("订单号：２０２６１１２０１２３４，退我30元", {"order_id": "202611201234", "phone": None, "amounts": [3000]}),
        ("order o1003 is late", {"order_id": "O1003", "phone": None, "amounts": []}),
        ("Order number: 987654321, refund ¥30.50 please", {"order_id": "987654321", "phone": None,
                                                         "amounts": [3050]}),
        ("电话13800138000，差价25.5块", {"order_id": None, "phone": "13800138000", "amounts": [2550]}),
        ("call me at +62 812-3456-7890", {"order_id": None, "phone": "+6281234567890", "amounts": []}),
        ("PO1004 is not an order id", {"order_id": None, "phone": None, "amounts": []}),
    ],
)
def test_slots(nlu, text, slots):
    assert nlu.understand(text).slots == {**slots, "new_address": None}


@pytest.mark.parametrize(
    ("text", "address", "intents"),
    [
        ("修改收货地址，改成上海市浦东新区世纪大道100号，同时使用两张优惠券", "上海市浦东新区世纪大道100号",
         {"address_change", "coupon_question"}),
        ("Please change my delivery address to 21 Orchard Road, Singapore 238867. Thanks", "21 Orchard Road, Singapore "
         "238867", {"address_change"}),
        ("我要改地址", None, {"address_change"}),
        ("地址改成", None, set()),  # nothing after the marker: no address yet
    ],
)
def test_new_address_and_every_intent_asked(nlu, text, address, intents):
    understood = nlu.understand(text)
    assert understood.slots["new_address"] == address
    assert {understood.intent, *understood.other_intents} >= intents


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("毛衣勾丝了", ["snag"]),
        ("袖子抽丝还有个破洞", ["snag", "hole"]),
        ("领口有污渍，洗了也脏", ["stain"]),
        ("裤子裂开了", ["tear"]),
        ("腋下开线了", ["open_seam"]),
        ("穿了一次就起球", ["pilling"]),
        ("杯子上有划痕", ["scratch"]),
        ("保温杯凹陷了一块", ["dent"]),
        ("杯子裂了", ["crack"]),
        ("花瓶碎了，外箱也破损", ["broken"]),
        ("there's a pulled thread on the sleeve", ["snag"]),
        ("It snagged on day one", ["snag"]),
        ("a hole and a stain", ["hole", "stain"]),
        ("the seam came apart", ["open_seam"]),
        ("the mug is cracked and the lid is broken", ["crack", "broken"]),
        ("scratches all over the bag", ["scratch"]),
        ("The dress looks snagless and whole", []),
        ("This is a hopeful message", []),
    ],
)
def test_defect_mentions(nlu, text, labels):
    got = nlu.understand(text)
    assert got.defect_mentions == labels
    assert set(got.defect_mentions) <= set(DEFECT_TAXONOMY)


@pytest.mark.parametrize(
    "text, labels",
    [
        # Words may stand between the words of a phrase where spaces part words.
        ("kemejanya benangnya banyak yang ketarik", ["snag"]),
        ("a thread got pulled on the cuff", ["snag"]),
        # Malay and Indonesian double a word with a 2.
        ("casing ni calar2 semua", ["scratch"]),
        ("baru dicuci udah berbulu2", ["pilling"]),
        # A defect denied is no defect, in each language; a digit before "x" is a count, not "tak".
        ("mug retak sikit, nasib baik x pecah", ["crack"]),
        ("barang ok je takde rosak, cuma nak return", []),
        ("no scratches at all, I just changed my mind", []),
        ("hàng không bị vỡ nhưng mình muốn đổi màu", []),
        ("杯子没坏，就是不想要了", []),
        ("แก้วไม่แตกนะ แค่อยากเปลี่ยนสี", []),
        ("walang sira po, ayoko lang ng kulay", []),
        ("dipake 2x udh berbulu", ["pilling"]),
        # "stainless" is a steel, not a stain.
        ("the stainless bottle came dented", ["dent"]),
        # A voucher that does not work breaks no product.
        ("baucar RM10 x boleh guna, dia kata x layak", []),
        ("โค้ดลด 50 บาทใช้ไม่ได้ค่ะ", []),
        ("ayaw gumana ng ₱50 off voucher ko", []),
        ("the lamp doesn't turn on", ["broken"]),
        ("耳机左边木有声音", ["broken"]), ("会不会起球？", []), ("裙子撕了个口子", ["tear"]),
        ("หน้าจอนาฬิกาแตกร้าวมาเลย", ["crack"]), ("ถ้าทำตกแก้วนี้จะแตกไหมคะ", []),
        ("Loa sạc cả đêm vẫn không lên nguồn", ["broken"]), ("ly be nat luon r shop", ["broken"]),
        # Machines that do not work, in each language's words for it.
        ("电热毯不加热了", ["broken"]), ("平板开机黑屏", ["broken"]), ("the torch flickers then dies", ["broken"]),
        ("may nay bat ko len luon", ["broken"]), ("chuột không chạy nữa", ["broken"]), ("ayaw mag-on ng speaker", ["broken"]),
        ("yung tahi sa manggas ng polo bumuka", ["open_seam"]), ("nồi cơm bị mop một góc", ["dent"]),
        # A Bangkok district is no crack.
        ("ส่งไปลาดพร้าว 71 ได้ไหม", []),
    ],
)
def test_defect_words_across_gaps_doubling_and_denial(nlu, text, labels):
    assert nlu.understand(text).defect_mentions == labels


def test_english_matches_whole_words_only(nlu):
    assert nlu.understand("this is nice").intent != "greeting_thanks"  # "hi" inside "this"
    assert nlu.understand("I returned home").intent == "other"  # "return" is not "returned"
    assert nlu.understand("please RETURN it").intent == "return_refund"  # case-insensitive


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("我买的开衫降价了", "zh"),
        ("我的订单O1004为什么还没发货", "zh"),
        ("the sweater has a snag", "en"),
        ("hello", "en"),
        ("คำสั่งซื้อของฉันอยู่ที่ไหน", "th"),
        ("Đơn hàng của tôi đâu rồi?", "vi"),
        ("Pesanan saya belum sampai, kapan dikirim?", "id"),
        ("Bila barang saya boleh sampai? Awak tolong semak", "ms"),
        ("Kailan po darating ang order ko?", "fil"),
        ("注文はまだですか", "ja"),
        ("", None),
        ("12345 ???", None),
    ],
)
def test_language_detection(nlu, text, language):
    assert nlu.understand(text).language == language


def test_language_hint_wins_and_is_normalised(nlu):
    assert nlu.understand("the sweater has a snag", language_hint="zh-CN").language == "zh"
    assert nlu.understand("我买的开衫降价了", language_hint="EN").language == "en"


def test_full_width_text_is_folded(nlu):
    got = nlu.understand("订单Ｏ１００３还没发货！")
    assert got.slots["order_id"] == "O1003" and got.intent == "logistics_status"


def test_protocol_and_bad_input(nlu):
    assert isinstance(nlu, Understanding)
    with pytest.raises(InvalidInput):
        nlu.understand(None)  # type: ignore[arg-type]


def test_shipped_lexicon_only_names_known_labels():
    data = yaml.safe_load(DEFAULT_LEXICON.read_text(encoding="utf-8"))
    assert set(data["intents"]) == set(INTENTS) - {"other"}
    assert set(data["defects"]) == set(DEFECT_TAXONOMY)


@pytest.mark.parametrize(
    ("patch", "key"),
    [
        ({"intents": {"teleport": {"en": ["beam me up"]}}}, "intents.teleport"),
        ({"defects": {"wrinkle": {"zh": ["皱"]}}}, "defects.wrinkle"),
        ({"intents": {"ask_human": {"fr": ["humain"]}}}, "intents.ask_human"),
        ({"slots": {"order_id": ["(unclosed"]}}, "slots.order_id"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_lexicon_is_refused(tmp_path, patch, key):
    data = yaml.safe_load(DEFAULT_LEXICON.read_text(encoding="utf-8"))
    for section, value in patch.items():
        data[section] = {**data[section], **value} if isinstance(data.get(section), dict) else value
    path = tmp_path / "lexicon.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        Lexicon.from_yaml(path)
    assert err.value.key == key


def test_a_shop_can_extend_the_lexicon(tmp_path):
    data = yaml.safe_load(DEFAULT_LEXICON.read_text(encoding="utf-8"))
    data["intents"]["ask_human"]["zh"].append("叫你们老板来")
    path = tmp_path / "lexicon.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    custom = KeywordUnderstanding(Lexicon.from_yaml(Path(path)))
    assert custom.understand("叫你们老板来").intent == "ask_human"
    assert KeywordUnderstanding().understand("叫你们老板来").intent == "other"
