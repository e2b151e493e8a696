"""The new address a customer asks to change to, as written, after the words each language says it with."""

from __future__ import annotations

import re

_ADDRESS_INTRO = re.compile(
    r"(?i)(?:"
    r"(?:地址)?(?:改成|改为|改到|换成|换到|改寄到|改送到|寄到|送到|发到)|新地址(?:是|为)?|地址(?:是|为)|"
    r"(?:address|addr|ship(?:ping)?|deliver(?:y|ed)?|send\s+(?:it|them)?|sent)[^.!?\n]{0,50}?\b(?:to|is)\b|"
    r"new\s+(?:address|addr)\s*(?:is)?|"
    r"alamat[^.!?\n]{0,50}?\b(?:ke|jadi|jd|menjadi|kepada|kpd|baru(?:nya)?(?:\s+(?:di|ialah|adalah))?)\b|alamatnya\b|"
    r"(?:kirim|hantar|htr|hntr|antar|pos)(?:kan)?\s+(?:je\s+)?ke|pindah(?:in|kan)\s+ke|"
    r"(?:tukar|ganti|ubah)(?:kan)?\s+(?:ke|kpd|kepada|jd|jadi)\b|"
    r"(?:tukar|ganti|ubah)(?:kan)?\s+(?:ke\s+)?alamat(?![^.!?\n]{0,50}?\b(?:ke|jadi|jd|menjadi|kepada|kpd)\b)|"
    r"(?:order|parcel|package|it)\s+(?:go|be\s+sent|be\s+delivered|be\s+shipped)\s+to|(?:needs?\s+to|should|must)\s+go\s+to|"
    r"(?:địa\s*chỉ|dia\s*chi|đ/c|dc)[^.!?\n]{0,50}?(?:sang|thành|thanh|qua|là|la|về|ve|mới|moi)(?![a-zà-ỹ])|"
    r"(?:giao|gửi|gui|ship)\s+(?:(?:giúp|giup|hộ|ho|giùm|gium|dùm|dum)\s+)?(?:về|ve|đến|den|tới|toi|qua)(?![a-zà-ỹ])|"
    r"(?:ที่อยู่|address|addr)[^\n]{0,40}?(?:เป็น|เปน|ไปที่|ใหม่)|(?:ส่ง|จัดส่ง)(?:ไป)?ที่|ส่งไป|ที่อยู่(?=\s*\d)|"
    r"(?:address|addr)[^.!?\n]{0,50}?\b(?:sa|into|ng)\b|"
    r"(?:ipadala|i-deliver|ideliver|dalhin|ipapadala)\s+(?:na\s+lang\s+)?(?:po\s+)?sa|"
    r"(?:bagong|new)\s+(?:address|add|addr)(?:\s+ko)?(?:\s+po)?(?:\s+ay)?|"
    # A label and a colon: "Alamat baru sy:", "alamat ofis:", "New:", "address yung O6621:", "địa chỉ nhận:".
    r"(?:address|addr|alamat|địa\s*chỉ|dia\s*chi|ที่อยู่|地址|new)[^:：\n.!?]{0,25}[:：]"
    r")\s*[:：]?\s*")
# Words that may ask for a new address or for something else ("đổi sang size 40", "dapat po ba …"): what follows them
# is taken only where it reads as an address by itself (address_shaped).
_WEAK_INTRO = re.compile(
    r"(?i)(?:"
    r"(?:đổi|doi|sửa|sua|chuyển|chuyen)\s+(?:sang|thành|thanh|qua|về|ve)(?![a-zà-ỹ])|"
    r"(?:ilipat|lipat|pakilipat|pa-?deliver|i-?deliver|ipadala|ipapadala|dalhin|pakidala|pa-?ship|i-?ship|ihatid|"
    r"pakihatid)(?:\s+[^\s.!?,]+){0,4}?\s+sa|"
    # A correction: "should be … not …", "dapat … hindi …".
    r"should\s+be|dapat(?:\s+(?:ay|po))?|seharusnya|harusnya|sepatutnya"
    r")\b\s*[:：]?\s*")
# Words and courtesies that end a message but not an address (Latin ones after a space, so "City" keeps its "ty").
_ADDRESS_TAIL = re.compile(
    r"(?i)(?:(?:[\s,，]+(?:instead|please|pls|plz|thanks?(?:\s+you)?|thx|ty|asap|ok|okay|ya|yah|yaa|ye|yer|kak|kakak|min|"
    r"gan|sis|bos|boss|bro|tq|thank\s+u|terima\s+kasih|makasih|nha|nhé|nhe|ạ|shop|ơi|oi|nhaa|với|voi|"
    r"giúp\s+(?:mình|minh|e|em|tôi|toi)|giup\s+(?:minh|e|em|toi)|po|"
    r"naman|lang|salamat|hehe+|haha+|wkwk+)|[\s,，]*(?:ครับ|ค่ะ|ค่าา+|คะ|นะ|นะคะ|นะครับ|(?<!เ)จ้า|ด้วย|ขอบคุณ(?:ครับ|ค่ะ)?|谢谢|谢了|哈|哦|呢|吧|啊|呀|"
    r"麻烦了|辛苦了|[\U0001F300-\U0001FAFF\u2600-\u27BF]))[\s!?.。！？~\uFE0F]*)+$")
# Courtesies a clause passed over leaves before the address ("ship giúp về cty mình nhé, tầng 5 …").
_COURTESY_HEAD = re.compile(r"(?i)^(?:(?:nhé|nhá|nha|ạ|ơi|po|pls|please)(?![^\W_])[\s,，]*)+")
# Where an address ends: a question or exclamation, a line's end, a Thai courtesy, a label and its colon ("Penerima:
# Aisyah", "Nama: Jessica"), the words for the recipient or their phone, a clause's first word in a language that
# spaces words ("… 65314 aja gk"); full stops are judged apart (_address_end).
_ADDRESS_END = re.compile(
    r"[!?！？。\n]|\s[-–—]\s|(?i:\s*(?:ครับ|ค่ะ|ค่าา+|คะ|นะคะ|นะครับ|(?<!เ)จ้า|ด่วน|ให้หน่อย|ได้ไหม|ได้มั้ย|แทน))|[,，;；]\s*(?=[\u4e00-\u9fff])|"
    r"[\s,，]+[^\W\d_]+\s*[:：]|"
    r"[\s,，]*(?:收件人|收货人|联系人|电话|手机|姓名|ชื่อ|ผู้รับ|เบอร์|โทร)|"
    r"(?i:[.,，;；]\s*(?=(?:and|also|thanks|thank|pls|please|còn|con|tapi|but|tsaka|saka|terima|makasih|salamat|cảm|cam|"
    r"ขอบคุณ|并且|还有|另外|顺便|order|pesanan|đơn|don|mã|shop|hehe|haha)\b))|"
    r"[\s,，]+(?=(?:(?i:a\.n\.|u/p|atas\s+nama|soalnya|karena|krn|kalau|kalo|klo|harap|biar|aja|sebab|because|coz|cuz|"
    r"since|instead|nama|penerima|recipient|receiver|contact|no\s+hp|no\s+tel|yung|kasi|sđt|sdt|người\s+nhận|nguoi\s+nhan|"
    r"not|hindi|bukan|nhé|nhá)|"
    r"an\.|sbb|sy|saya|aku|I|I'm|i|im|my|we|our|hp|tel|kc|em|mình|mik|anh|chị|cảm|order)(?![^\W_]))")
# Words an address abbreviates with a full stop: after any other word a full stop ends it ("…, Selangor. Sy dah").
_ABBREVIATIONS = frozenset("""
jl jln lt gg no kel kec kab prov blk brgy bgy ave st rd blvd subd sta sto dr apt bldg fl flr rm lrg tmn kg bt km sdn
bhd mt ft sr jr dist gen hwy pres tp tx kp rt rw ds dsn perum komp ph ext sec ctr cor nr mr mrs ms kav jend ir kh hj
prof col capt exec
""".split())
# What a Chinese address is made of: a piece of the message without one of these is not part of it.
_ZH_PLACE = re.compile(r"[省市区县镇乡村路街道巷弄号楼栋室单元座层园苑院]")
_THAI_PLACE = re.compile(
    r"\d|บ้านเลขที่|หมู่|ซอย|ซ\.|ถนน|ถ\.|แขวง|เขต|ตำบล|ต\.|อำเภอ|อ\.|จังหวัด|จ\.|กทม|กรุงเทพ|หอพัก|คอนโด|อาคาร|ตึก|"
    r"บริษัท|ห้อง|ชั้น|หมู่บ้าน|[A-Za-z]")
# The words of streets, units and places an address names, for one found with no words asking for it.
_PLACE_WORDS = re.compile(
    r"(?i)\b(?:jl|jln|jalan|gg|gang|lorong|lrg|taman|tmn|kampung|kg|blok|blk|lot|no|rt|rw|kel|kec|kota|kab|perum|"
    r"perumahan|pangsapuri|kondominium|street|st|road|rd|avenue|ave|lane|ln|drive|dr|way|grove|crescent|close|terrace|"
    r"place|plaza|suite|court|ct|highway|hwy|boulevard|blvd|parkway|unit|apt|floor|brgy|barangay|purok|"
    r"sitio|subd|city|gedung|menara|tingkat|wisma|apartemen|apartment|condo|kondo|tower|building|bldg|villa|kos|"
    r"komplek|ktx|chung\s+cư|tòa|toa|số|so(?=\s*\d)|tầng|tang(?=\s*\d)|xóm|xom|ấp|thôn|tổ|khu\s+phố|soi|đường|duong|phường|phuong|quận|quan|ngõ|ngo|hẻm|hem|tp|huyện|huyen|xã|thôn|thon|tỉnh|tinh)\b|"
    r"[路号省市区]|ถนน|ซอย|หมู่|แขวง|เขต|ตำบล|อำเภอ|จังหวัด")
_POSTCODE = re.compile(r"(?<![\d/-])\d{4,6}(?![\d/-])|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")  # and the UK's "M20 6PL"
# Where an address may begin with no words asking for it: the message's start, a new line, after a colon, a
# question, an exclamation or a sentence.
_CLAUSE_START = re.compile(r"^|\n|[:：?？!！,，]\s*|\.\s+|\s[-–—]\s+|\s*(?:→|->|=>|➡️?)\s*|(?:ครับ|ค่ะ|คะ|แอด)\s*")


def new_address(text: str, taken: list[tuple[int, int]] = ()) -> str | None:
    """The address after the words that ask for it ("change the shipping address to …", "改成…", "alamat ke …"), or
    one standing apart (on a line of its own, after a colon or a question); an order id or phone number after it
    (`taken` spans) is not part of it."""
    def before_taken(start: int) -> str:
        return text[start:min([s for s, _ in taken if s >= start] + [len(text)])]

    for m, weak in [*((m, False) for m in _ADDRESS_INTRO.finditer(text)),
                    *((m, True) for m in _WEAK_INTRO.finditer(text))]:
        rest = before_taken(m.end())
        cut = m.end() + len(rest) < len(text)  # by an order id or a phone after it
        colon = re.search(r"(?:[:：]|→|->|=>|➡️?)\s*", rest[:60])
        if colon and not re.search(r"\d", rest[:colon.start()]):
            rest = rest[colon.end():]  # "mohon dikirim ke alamat kantor saja karena …: Gedung Graha Mandiri …"
        # The words after the request may come first: "send it to my office instead? 12F Robinsons Tower …",
        # "ส่งไปบ้านแม่แทน บ้านเลขที่ 17 …"; up to three clauses with no number in them are passed over.
        for skipped in range(4):
            value, resume = _address_value(rest)
            if value and (skipped or weak) and not address_shaped(value):
                value = None  # "ubah alamat di aplikasi sih?? udh 3x coba error mulu" names no place
            if value or resume is None or re.search(r"\d", rest[:resume]):
                break
            rest = rest[resume:]
        if value:
            return _without_name(value) if cut else value
    for m in _CLAUSE_START.finditer(text):
        before = re.search(r"([^\W_]+)$", text[:m.start()])
        if m.group().startswith(".") and (not before or before.group().lower() in _ABBREVIATIONS
                                          or len(before.group()) < 2):
            continue  # "Jl. Boulevard …": an abbreviation's full stop begins nothing
        raw = before_taken(m.end())
        value, _ = _address_value(raw)
        # Standing apart, an address begins a line, or with a number or a place word ("Kung pwede pa, 1024 Taft
        # Ave., …"), where the clause begins; "pindah ke Jl. …" (I moved to) asks for nothing.
        first = value.split()[0] if value else ""
        if not raw.lstrip().startswith(first) and not re.match(r"[\u4e00-\u9fff]", first):
            continue  # (a Chinese address is picked out of the words around it: _zh_place)
        if value and address_shaped(value) and (re.search(r"\d", first) or _PLACE_WORDS.match(value)):
            return value
    return None


def _without_name(value: str) -> str:
    """An address cut by the phone after it, without the recipient's name between its postcode and the phone
    ("…, Bulacan 3000, Maria Santos 0917…")."""
    head, comma, last = value.rpartition(",")
    if comma and re.fullmatch(r"\s*(?:[A-Z][a-z]+\s*){2,3}", last) and re.search(r"\d\s*$", head) \
            and not _PLACE_WORDS.search(last):
        return head.rstrip(" ,")
    return value


def address_shaped(value: str) -> bool:
    """Whether a value reads as an address with no words around it to say so: a postcode after a number or with a
    place word, or two place words, in four parts or more; a Chinese one with three place characters and a number."""
    places = len(_PLACE_WORDS.findall(value))
    if re.match(r"[\u4e00-\u9fff]", value):
        return places >= 3 and bool(re.search(r"\d", value))  # "上海市浦东新区张江镇祖冲之路887弄5号楼302室"
    # A house number and a postcode after it: "8 Marina View, #20-01, S018960" (not "3000 diem tich luy …").
    number = re.match(r"\d\S*", value)
    numbered = bool(number and _POSTCODE.search(value, number.end()))
    return (bool(_POSTCODE.search(value)) and places >= 1 or numbered or places >= 2) and len(
        [p for p in re.split(r"[,，\s]+", value) if p]) >= 4


def _address_end(rest: str) -> tuple[int, int] | None:
    """Where the address at the start of `rest` ends: _ADDRESS_END, or a full stop after a number of four digits or a
    word that is not an abbreviation ("Jl. Melati No. 12" goes on; "…, Selangor. Sy dah pindah" ends)."""
    ends = []
    m = _ADDRESS_END.search(rest)
    if m:
        ends.append((m.start(), max(m.end(), m.start() + 1)))
    for stop in re.finditer(r"\.(?=\s|$)", rest):
        word = re.search(r"([^\W_]+)$", rest[:stop.start()])
        if word and (word.group().isdigit() and len(word.group()) >= 4 or not word.group().isdigit()
                     and len(word.group()) >= 2 and re.match(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]+$", word.group())
                     and word.group().lower() not in _ABBREVIATIONS):
            ends.append((stop.start(), stop.end()))
            break
    return min(ends) if ends else None


def _address_value(rest: str) -> tuple[str | None, int | None]:
    """The address at the start of `rest` (None when it names no place: a number and at least two parts, a Chinese
    one of six characters or more, or three place words), and where the text after its end resumes."""
    end = _address_end(rest)
    value = rest[:end[0]] if end is not None else rest
    value = _ADDRESS_TAIL.sub("", value).strip(" \t:：,，.。'\"“”()（）")
    value = _COURTESY_HEAD.sub("", value)
    value = _ADDRESS_TAIL.sub("", _lowercase_tail(_lowercase_head(value))).strip(" \t:：,，.。")
    value = _thai_place(_zh_place(value))
    parts = [p for p in re.split(r"[,，\s]+", value) if p]
    if re.search(r"\d", value) and (len(parts) >= 2 or len(value) >= 6) or (
            len(_PLACE_WORDS.findall(value)) >= 3 and len(re.split(r"[,，]", value)) >= 3):
        return value, end and end[1]
    return None, end and end[1]


def _capitalised(words: list[re.Match]) -> bool:
    return sum(1 for w in words if w.group()[0].isupper()) >= 2


def _lowercase_tail(value: str) -> str:
    """A capitalised address without the lower-case words after its last part ("…, Jawa Timur 65314 aja gk" →
    "…, Jawa Timur 65314"): words in lower case with no digit, after a part with a digit or a capital."""
    words = list(re.finditer(r"[^\s,，]+", value))
    if not _capitalised(words):
        return value
    keep = len(words)
    while keep and words[keep - 1].group().islower() and not re.search(r"\d", words[keep - 1].group()):
        keep -= 1
    return value[:words[keep - 1].end()].rstrip(" ,，.") if 0 < keep < len(words) else value


def _lowercase_head(value: str) -> str:
    """A capitalised address without the lower-case words before it that lead to it ("bahay ng mama ko sa Sitio
    Malinis, …", "new add ko po ay Door 3, …"): a run of lower-case words ending in a word for "at" or "is"."""
    words = list(re.finditer(r"[^\s,，]+", value))
    if not _capitalised(words):
        return value
    lead = 0
    while lead < len(words) and words[lead].group().islower() and not re.search(r"\d", words[lead].group()):
        lead += 1
    if 0 < lead < len(words) and words[lead - 1].group() in ("sa", "ke", "to", "at", "kat", "di", "ay", "is"):
        return value[words[lead].start():]
    return value


def _thai_place(value: str) -> str:
    """A Thai address among words around it ("บ้านแม่แทน บ้านเลขที่ 17 หมู่ 8 … 41000 ชื่อผู้รับ"): from the first to the
    last space-separated piece with a number or a place word; other values unchanged."""
    if not re.search(r"[\u0e00-\u0e7f]", value):
        return value
    pieces = value.split()
    placed = [bool(_THAI_PLACE.search(p)) for p in pieces]
    if not any(placed):
        return value
    first = placed.index(True)
    last = len(placed) - 1 - placed[::-1].index(True)
    return " ".join(pieces[first:last + 1])


def _zh_place(value: str) -> str:
    """A Chinese address among words around it ("学校吧 湖北省武汉市…东区 谢谢亲亲"): from the first to the last
    space-separated piece that names a place (省, 市, 路, 号 …) or holds a number ("望京SOHO T3 1608室", "9-3-2");
    other values unchanged."""
    pieces = value.split()
    if len(pieces) < 2 or not re.search(r"[\u4e00-\u9fff]", value):
        return value
    placed = [bool(_ZH_PLACE.search(p) or re.search(r"\d", p)) for p in pieces]
    if not any(placed):
        return value
    first = placed.index(True)
    last = len(placed) - 1 - placed[::-1].index(True)
    return " ".join(pieces[first:last + 1])
