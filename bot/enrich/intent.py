"""What the customer wants: keyword and pattern rules, weighed, then a few tie-breaking rules.

Intents: question, complaint, bug_report, praise, sales_lead, spam, other. Each intent has
weighted patterns (English first, common words of other languages where cheap); the scores and
the post's sentiment decide. Spam and prompt-injection attempts are recognised first so they
never reach an agent's queue as genuine requests.
"""
from __future__ import annotations

import re

SAMPLE = 5000  # characters read


def _rules(*weighted: tuple[float, str]) -> list[tuple[float, re.Pattern[str]]]:
    return [(weight, re.compile(pattern, re.IGNORECASE)) for weight, pattern in weighted]


SPAM = _rules(
    (1, r"\b(?:crypto|bitcoin|btc|usdt|nft|airdrop|forex|casino|betting|onlyfans)\b"),
    (1, (r"\b(?:giveaway|free (?:followers|money|iphone|gift)|claim (?:your|now|it)|to claim|earn \$?\d+|"
         r"make money|work(?:ing)? from home|limited offer|act now|100% free|promo code)\b")),
    (1, r"\b(?:bit\.ly|tinyurl\.com|goo\.gl|cutt\.ly|t\.me|wa\.me|shorturl\.at)/"),
    (1, r"\b(?:click (?:here|the link|my link|link)|check (?:my|out my) (?:bio|profile|page)|dm me for|link in bio)\b"),
    (2, r"#?\b(?:followback|follow ?back|f4f|follow for follow|follow me|sub4sub|like4like)\b"),
    (2, r"\b(?:buy|cheap) (?:followers|likes|views)\b"),
    # prompt injection aimed at an LLM further down the line
    (2, (r"\b(?:ignore|disregard|forget) (?:all |any )?(?:(?:the|your) )?(?:previous|prior|above|earlier) "
         r"(?:instructions|prompts?|rules)|\bsystem prompt\b|\byou are now (?:a|an|in)\b|\bjailbreak\b")),
)
BUG = _rules(
    (2, r"\b(?:bug|bugs|buggy|crash\w*|glitch\w*|freez\w*|frozen|hangs|lag(?:gy|ging)?|error|errors)\b"),
    (2, (r"\b(?:[45]0[0-9]|5[0-2][0-9])\b(?: (?:error|errors|status|page))|\b(?:error|code|status) [45]\d\d\b"
         r"|\b(?:[45]0[0-9]) errors?\b")),
    (2, (r"\b(?:doesn'?t|does not|isn'?t|is not|won'?t|will not|can'?t|cannot|couldn'?t|not) "
         r"(?:work|working|load|loading|open|opening|sync|syncing|connect|connecting|update|updating|start|launch|"
         r"respond|responding|render|play|show|display|save|saving|send|sending|upload|uploading|download|"
         r"downloading|install|installing)\b")),
    (2, (r"\b(?:can'?t|cannot|unable to|couldn'?t|not able to|won'?t let me) (?:log ?in|login|sign ?in|"
         r"access|reset|check ?out|pay)\b")),
    (2, (r"\b(?:(?:does|returns|shows|displays|loads) nothing|stopped (?:working|syncing|loading|updating|"
         r"sending|opening)|no longer (?:works|loads|opens|syncs)|(?:won'?t|doesn'?t|does not|will not) let me|just spins|keeps spinning|"
         r"drain\w* (?:my |the )?battery|overheat\w*|keeps (?:crashing|failing|logging me out|loading|spinning)|stuck on|blank (?:page|"
         r"screen)|white screen|black screen|broken link|infinite loop|logged me out|"
         r"(?:site|app|website|server|service|checkout|login|dashboard|api) (?:is |seems |went )?down|"
         r"(?:trouble|problems?|issues?) (?:with|logging|signing) (?:\w+ ){0,2}(?:app|site|website|"
         r"login|log ?in|sign ?in|checkout|sync|update|account|payment|dashboard|api)|"
         r"(?:deleted|wiped|lost) (?:all )?my (?:data|files|lists|saved|settings|history)|"
         r"(?:notifications?|emails?|updates?|sync) (?:are |is )?(?:delayed|late|missing|broken)|"
         r"(?:logs|logged|kicks|kicked) (?:me|you|us) out)\b")),
    (1, r"\b(?:after|since) (?:the |your )?(?:last |latest |recent |new )?(?:update|upgrade)\b"),
    (1, (r"\b(?:ios|android|iphone|ipad|pixel|samsung|windows|macos|chrome|firefox|safari|edge|"
         r"app version|version \d)\b")),
    (2, (r"\b(?:fehler|absturz|stürzt|abgestürzt|funktioniert nicht|lädt nicht|hängt sich auf|"
         r"erreur|plante|bogue|ne (?:marche|fonctionne|charge) pas|"
         r"falla|se cierra|no carga|no funciona|no abre|"
         r"erro|trava|travando|fecha sozinho|não funciona|não abre|não carrega|"
         r"errore|si blocca|crasha|non funziona|non si apre|"
         r"foutmelding|crasht|werkt niet|loopt vast|kan niet inloggen|hata|çöküyor|açılmıyor|çalışmıyor|"
         r"(?:kann|können) (?:ich |wir )?(?:mich |uns )?nicht (?:mehr )?(?:einloggen|anmelden)|"
         r"(?:einloggen|anmelden|login) (?:geht|funktioniert) nicht|no puedo (?:entrar|iniciar sesión)|"
         r"je n'arrive pas à me connecter|não consigo (?:entrar|logar|acessar)|non riesco ad accedere)\b")),
    (2, (r"エラー|起動しません|起動できない|落ちる|バグ|不具合|クラッシュ|開けません|ログインできません|同期できません|"
         r"闪退|崩溃|错误|打不开|无法登录|오류|에러|튕겨|로그인이 안|ошибк|не работает|вылетает|баг")),
)
COMPLAINT = _rules(
    (2, (r"\b(?:never (?:arrived|came|received|showed up|got)|(?:hasn'?t|has not|haven'?t|didn'?t|did not|not) "
         r"(?:arrived|been delivered|received|got it|shipped)|still (?:waiting|hasn'?t|haven'?t|not|no|nothing|"
         r"says|shows|processing|pending)|where(?:'s| is) my (?:order|package|parcel|refund|money)|"
         r"(?:is|was|are|arrived|came) (?:late|damaged|broken|wrong|missing|torn|ripped)|wrong (?:item|size|order|"
         r"product)|(?:charged|billed) (?:twice|two times|double|me again|for)|double charged|overcharged|"
         r"(?:want|need|demand|requesting|waiting for) (?:a |my )?(?:refund|money back)|"
         r"money (?:left|taken|back)|declined|no (?:one|body) (?:answers|responds|replies|helps|is helping)|"
         r"nobody (?:answers|responds|replies|helps|cares)|(?:no|zero) (?:response|reply|answer)s?|"
         r"answer me|respond to me|reply to me|(?:sigo|todavía|continuo|ainda estou) esperando|j'attends toujours|"
         r"warte immer noch|sto ancora aspettando|wacht nog steeds|(?:cancel|cancelling|canceling|unsubscrib)\w* (?:my|the|our) "
         r"(?:subscription|account|order|plan)|customer (?:service|support) sucks|on hold for|"
         r"(?:emailed|called|messaged|wrote|contacted you) (?:\w+ )?(?:twice|\d+|two|three|four|five|several|"
         r"multiple|many) times|(?:never|nobody|no one|no-one) (?:replied|answered|responded|got back)|"
         r"never heard back|(?:still|and) (?:got|get|getting) charged|in circles|(?:need|want|speak to|talk to) "
         r"(?:a |an )?(?:human|real person|manager|supervisor)|not acceptable|"
         r"ripped|fell apart|after one (?:wash|use|day|week)|taking forever|"
         r"(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time (?:my|this|that|i(?:'ve| have)?|we)\b)")),
    (1, (r"\b(?:late|delay(?:ed)?|missing|damaged|lost|rude|ignored|scam|ripoff|rip-off|unacceptable|"
         r"disappoint\w*|terrible|awful|worst|horrible|ridiculous|useless|pathetic|furious|angry|hate|complain\w*|"
         r"waste|overpriced|charged|hidden fees?|locked|refunds?)\b")),

    (2, (r"\b(?:no ha llegado|nunca llegó|no llegó|llegó (?:roto|rota|mal|tarde)|reembolso|reclamación|queja|"
         r"nadie (?:me )?responde|cobraron dos veces|estafa|pésimo|"
         r"toujours pas|pas (?:encore )?reçu|jamais reçu|remboursement|inadmissible|scandaleux|arnaque|bloquée?|"
         r"réclamation|déçu|immer noch nicht|nicht angekommen|(?:rück)?erstattung|enttäusch\w*|unverschämt|"
         r"frechheit|beschwerde|não chegou|ainda não|reembolso|quebrad[oa]|péssimo|reclamação|"
         r"non è (?:ancora )?arrivato|in ritardo|rimborso|pessimo|vergogna|reclamo|nog steeds niet|"
         r"niet (?:bezorgd|ontvangen|aangekomen)|terugbetaling|klacht|gelmedi|iade|şikayet|kötü)\b")),
    (2, (r"届きません|届かない|届いていない|返金|最悪|还没到|没收到|退款|失望|太差|投诉|안 왔|환불|최악|늦|"
         r"لم يصل|استرداد|не пришёл|не пришел|возврат|ยังไม่ได้รับ")),
)
# What the brand sells or does: said in a negative tone, a complaint about it.
SUBJECTS = _rules(
    (1, (r"\b(?:orders?|package|parcel|delivery|courier|driver|shipment|shipping|subscription|account|service|"
         r"support|product|item|quality|fees?|staff|agent)\b")),
)
SALES = _rules(
    (2, (r"\b(?:pricing|price list|quote|enterprise|wholesale|bulk (?:order|pricing|discount|purchase)|"
         r"reseller|resell|partnership|partner with|distributor|volume discount|business (?:plan|account|tier)|"
         r"(?:team|company|business|office|org(?:anization)?) (?:plan|license|licence|account)|"
         r"(?:for|across) (?:my|our) (?:team|company|business|office|staff|org\w*|employees|school|agency)|"
         r"team of \d+|\d+ (?:seats|users|licen[cs]es|employees|people|staff|agents|locations)|"
         r"(?:book|schedule|request|get) a demo|talk to (?:sales|someone in sales)|contact sales|sales team|"
         r"(?:switch|switching|migrate|migrating) (?:to|from) |considering (?:you|your|switching))")),
    (1, r"\b(?:price|prices|cost|costs|how much)\b"),
    (1, r"\b(?:plans?|discount|annual billing|yearly billing|trial|upgrade to|pro plan|premium plan|licen[cs]e)\b"),
    (2, (r"\b(?:precio|cotización|presupuesto|para (?:mi|nuestra) empresa|licencias|tarif|devis|"
         r"pour (?:mon|notre) entreprise|preis|angebot für|für (?:unser|unsere) (?:unternehmen|firma|team)|"
         r"lizenzen|preço|orçamento|para (?:minha|nossa) empresa|prezzo|preventivo|per la (?:mia|nostra) azienda|"
         r"offerte|voor (?:ons|mijn) bedrijf)\b")),
)
QUESTION = _rules(
    (2, r"[?？¿]"),
    (1, (r"(?:^|[.!\n])\W{0,8}(?:how|what|where|when|why|which|who|whom|whose|is|are|can|could|do|does|did|will|would|"
           r"should|shall|may|have|has|any|anyone)\b")),
    (1.5, (r"\b(?:how (?:do|can|to|does|long|much|many)|is (?:it|there) (?:possible|a way)|is there|are there|"
           r"do you (?:have|know|ship|offer|support|sell|deliver|accept)|can (?:i|you|we)|any (?:way|idea|news|"
           r"update|plans)|anyone know|does anyone|wondering|i was wondering|what(?:'s| is) the|where (?:can|do|is)|"
           r"when (?:will|does|is|can)|let me know)\b")),
    # requests to be contacted or told: answered like questions
    (1.5, (r"\b(?:(?:call|text|email|e-mail|ring|notify|contact|dm|message) me|appelez-moi|rappelez-moi|llámame|"
           r"llamadme|ruf(?:t|en sie)? mich an|me liga|me ligue|chiamatemi)\b|連絡(?:ください|して)|연락주세요|联系我")),
    (1, (r"(?:^|[.!\n])\W{0,8}(?:cómo|dónde|cuándo|cuál|qué|por qué|hay|comment|où|quand|quel|quelle|pourquoi|est-ce|"
           r"wie|wo|wann|warum|welche|gibt es|kann ich|como|onde|quando|qual|vocês|come|dove|perché|"
           r"c'è|hoe|waar|wanneer|waarom|kan ik)\b")),
    (2, (r"ですか|ますか|でしょうか|吗|请问|怎么|如何|能不能|나요|까요|습니까|ไหม|มั้ย|หรือเปล่า|"
         r"(?:^|[.!\n])\W{0,8}(?:هل|كيف|متى|как|где|когда|можно ли)")),
)
PRAISE = _rules(
    (2, (r"\b(?:love|loved|loving|thanks|thank you|thx|ty|tysm|kudos|props|shout ?out|you rock|rocks|"
         r"well done|great job|good job|awesome|amazing|fantastic|excellent|brilliant|impressed|best|"
         r"hilarious|made my day|appreciate|lifesaver|recommend|easy|arrived (?:a day |\w+ )?early)\b")),
    (2, (r"\b(?:gracias|merci|danke|obrigad[oa]|grazie|bedankt|tack|takk|dziękuję|teşekkür\w*|"
         r"genial|génial|super|toll|ótimo|adorei|ottimo|geweldig|excelente|parfait|perfekt|perfetto)\b")),
    (2, r"ありがとう|感謝|最高|谢谢|感谢|감사|고맙|شكرا|спасибо|ขอบคุณ|धन्यवाद"),
    (1, r"[🙌❤♥👏🎉😍🥰🔥💯✨👍🤩🥳💕💖]"),
)
_MENTION = re.compile(r"(?<![\w/])@[\w.@-]+")
_SPACES = re.compile(r"[ \t]+")
_POLITENESS = re.compile(r"\b(?:thanks|thank you|thx) (?:in advance|for (?:your|any) help)\b", re.IGNORECASE)


def _score(rules: list[tuple[float, re.Pattern[str]]], text: str) -> float:
    return sum(weight for weight, pattern in rules if pattern.search(text))


def detect_intent(text: str, sentiment: str = "neutral") -> str:
    """question, complaint, bug_report, praise, sales_lead, spam or other.

    `sentiment` (from detect_sentiment) breaks ties: "thanks for nothing" has a thank-you in it.
    """
    text = _SPACES.sub(" ", _MENTION.sub(" ", text[:SAMPLE]))
    if _score(SPAM, text) >= 2:
        return "spam"
    bug, complaint = _score(BUG, text), _score(COMPLAINT, text)
    sales, question = _score(SALES, text), _score(QUESTION, text)
    praise = _score(PRAISE, _POLITENESS.sub(" ", text))
    negative = sentiment == "negative"
    if sentiment == "positive" and praise >= 2 and question < 2 and max(bug, complaint) < 3:
        return "praise"  # "refunded in ten minutes, thank you!"
    if bug >= 2 and bug >= complaint:
        return "bug_report"
    if sales >= 2 and not negative and complaint < 2:
        return "sales_lead"
    if complaint >= 2 or (negative and (complaint or _score(SUBJECTS, text))):
        return "complaint"
    if question >= 1.5:
        return "question"
    if bug >= 1.5:
        return "bug_report"
    if sentiment == "positive" or (praise and not negative):
        return "praise"
    if negative and praise:
        return "complaint"  # "thanks for nothing"
    return "other"
