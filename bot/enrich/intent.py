"""What the customer wants: weighted cue patterns per intent, then a few tie-breaking rules.

Intents: question, complaint, bug_report, praise, sales_lead, spam, other. Each intent has weighted
patterns for the kinds of thing customers say (a delivery that failed, software that fails, a
business that wants to buy, a request to be called back...), English first and the same cues in
the other languages the desk sees most. The scores and the post's sentiment decide. Spam and
prompt-injection attempts are recognised first so they never reach an agent's queue as genuine
requests.
"""
from __future__ import annotations

import re

SAMPLE = 5000  # characters read
# The letters re.IGNORECASE takes for one another besides upper and lower case (re._compiler._EXTRA_CASES):
# dotless ı and i, long ſ and s, Greek and old Cyrillic variants, each written as one of its class.
_VARIANTS = str.maketrans("ıſµιΐΰϐϵϑϰϖϱςϕᲀᲁᲂᲃᲄᲅᲆᲇᲈẛﬅ", "isμιΐΰβεθκπρσφвдосттъѣꙋṡﬆ")


def _folded(text: str) -> str:
    """`text` as re.IGNORECASE compares it, one character for one (so `.{0,20}` and `\b` read it alike): the rules
    match it case-sensitively, about three times faster than with the flag. İ is the one letter whose lower case
    is two characters; the flag takes it for i."""
    return text.replace("İ", "i").lower().translate(_VARIANTS)


def _rules(*weighted: tuple[float, str]) -> list[tuple[float, re.Pattern[str]]]:
    """Weighted patterns, written in lower case, for `_folded` text."""
    return [(weight, re.compile(pattern.translate(_VARIANTS))) for weight, pattern in weighted]


SPAM = _rules(
    # word starts, so compounds count too: cryptocurrency, Krypto-Signale
    (1, r"\b(?:crypto|krypto|cripto|bitcoin|btc|usdt|nft|airdrop|forex|casino|betting|onlyfans|trading signals?)"),
    # money offered for nothing
    (1, (r"\b(?:giveaway|free (?:followers|money|iphone|gift|gift ?card|crypto)|claim (?:your|now|it)|to claim|"
         r"earn \$?\d+|make money|money fast|passive income|guaranteed (?:profit|income|returns?)|"
         r"\d+ ?% (?:profit|returns?|gains?)|double your|limited offer|act now|100% free|promo code|"
         r"(?:verdien\w*|gana\w*|gagne\w*|ganh\w*|guadagn\w*) (?:[$€£] ?)?\d+|gana(?:r)? dinero|"
         r"gagne[rz]? de l'argent|geld verdienen|gewinn\w* garantiert|garantiert\w* gewinn|ganh[ea]r? dinheiro|"
         r"guadagn\w+ soldi)\b")),
    # ... with no effort
    (1, (r"\b(?:(?:work(?:ing)? )?from home|no experience|desde casa|sin experiencia|von zu hause|ohne erfahrung|"
         r"depuis chez (?:vous|toi)|sans expérience|sem experiência|senza esperienza|zonder ervaring)\b")),
    (1, r"\b(?:bit\.ly|tinyurl\.com|goo\.gl|cutt\.ly|t\.me|wa\.me|shorturl\.at)/"),
    (1, (r"\b(?:click (?:here|the link|my link|link)|check (?:my|out my) (?:bio|profile|page)|dm me|link in bio|"
         r"link (?:im profil|en (?:mi )?bio|dans (?:ma )?bio|na bio|nel profilo)|"
         r"(?:join|beitreten|únete|rejoins?)\b.{0,20}\b(?:telegram|whatsapp)|(?:telegram|whatsapp)\b.{0,20}"
         r"\b(?:join|beitreten|únete|rejoins?)|escr[ií]beme|écris-moi|schreib mir|scrivimi)\b")),
    (2, r"#?\b(?:followback|follow ?back|f4f|follow for follow|follow me|sub4sub|like4like)\b"),
    (2, r"\b(?:(?:buy|cheap|real|get) (?:\d+k? )?(?:followers|likes|views)|\d+k? (?:real )?followers for)\b"),
    # prompt injection aimed at an LLM further down the line
    (2, (r"\b(?:ignore|disregard|forget) (?:all |any )?(?:(?:the|your) )?(?:previous|prior|above|earlier) "
         r"(?:instructions|prompts?|rules)|\bsystem prompt\b|\byou are now (?:a|an|in)\b|\bjailbreak\b")),
)
BUG = _rules(
    (2, (r"\b(?:bug|bugs|buggy|crash\w*|glitch\w*|freez\w*|frozen|hangs|lag(?:gy|ging)?|errors?|bricked|"
         r"unresponsive|not responding|force clos\w*|spinning|spins|boot ?loop)\b")),
    (2, (r"\b(?:[45]0[0-9]|5[0-2][0-9])\b(?: (?:error|errors|status|page))|\b(?:error|code|status) [45]\d\d\b"
         r"|\b(?:[45]0[0-9]) errors?\b")),
    (2, (r"\b(?:doesn'?t|does not|isn'?t|is not|won'?t|will not|can'?t|cannot|couldn'?t|not) "
         r"(?:work|working|load|loading|open|opening|sync|syncing|connect|connecting|update|updating|start|launch|"
         r"respond|responding|render|play|show|display|save|saving|send|sending|upload|uploading|download|"
         r"downloading|install|installing|pair|pairing|charge|charging|boot|turn on|power on)\b")),
    (2, (r"\b(?:can'?t|cannot|unable to|couldn'?t|not able to|won'?t let me) (?:log ?in|login|sign ?in|access|"
         r"reset|check ?out|pay|get into|get in)\b|\blocked out\b")),
    (2, (r"\b(?:(?:does|returns|shows|displays|loads) nothing|stopped (?:working|syncing|loading|updating|"
         r"sending|opening|charging)|no longer (?:works|loads|opens|syncs|charges)|"
         r"(?:won'?t|doesn'?t|does not|will not) let me|keeps (?:crashing|failing|logging me out|loading|spinning|"
         r"restarting|disconnecting)|stuck on|(?:blank|white|black|empty) (?:page|screen)|"
         r"(?:empty|blank|corrupt\w*) (?:csv|file|export|report|pdf|download)|broken link|infinite loop|"
         r"drain\w* (?:my |the )?battery|overheat\w*|(?:logs|logged|kicks|kicked) (?:me|you|us) out|"
         r"(?:site|app|website|server|service|checkout|login|dashboard|api|page) (?:is |seems |went |has been )?down|"
         r"(?:you|it)(?:'ve| have|'s| has) been down|(?:are|is) (?:you|it) down|"
         r"(?:trouble|problems?|issues?) (?:with|logging|signing) (?:\w+ ){0,2}(?:app|site|website|login|log ?in|"
         r"sign ?in|checkout|sync|update|account|payment|dashboard|api)|"
         r"(?:deleted|wiped|erased|lost) (?:all )?(?:of )?my (?:\w+ )?(?:data|files|photos|lists|settings|history|"
         r"progress|contacts|playlists)|"
         r"(?:notifications?|emails?|codes?|links?|sms|texts?) (?:are |is |never |still )?(?:delayed|missing|broken|"
         r"not arriving|never (?:arrive[sd]?|came|comes|show(?:s|ed)? up))|"
         r"(?:payment|upload|sync|login|verification|update|install\w*|download) (?:has |keeps )?fail\w*|"
         r"says (?:invalid|error|failed)|invalid (?:password|code|credentials|login))\b")),
    (1, (r"\b(?:after|since) (?:the |your |yesterday'?s |today'?s )?(?:last |latest |recent |new )?"
         r"(?:update|upgrade|release|version)\b")),
    (1, (r"\b(?:ios|android|iphone|ipad|pixel|samsung|windows|macos|chrome|firefox|safari|edge|firmware|"
         r"app version|version \d)\b")),
    (2, (r"\b(?:fehler\w*|absturz|stürzt|abgestürzt|funktioniert nicht|lädt nicht|hängt sich auf|reagiert nicht|"
         r"(?:wird|werden) nicht (?:akzeptiert|angenommen|erkannt)|"
         r"erreur|plante|bogue|ne (?:marche|fonctionne|charge|s'ouvre|s'allume) (?:plus|pas)|se ferme|"
         r"falla|fallo|se cierra|se cuelga|se bloquea|no carga|no funciona|no abre|no enciende|no arranca|"
         r"erro|trava|travando|fecha sozinho|não funciona|não abre|não carrega|não liga|tela branca|"
         r"errore|si blocca|crasha|non funziona|non si (?:apre|accende|avvia|carica|sincronizza|collega)|"
         r"foutmelding|crasht|werkt niet|loopt vast|start niet|kan niet inloggen|"
         r"fungerar inte|kraschar|virker ikke|nie działa|zawiesza|błąd|hata|çöküyor|açılmıyor|çalışmıyor|"
         r"dej(?:ó|ado) de funcionar|parou de funcionar|smesso di funzionare|slutade fungera|przesta\w+ działać|"
         r"çalışmayı bıraktı|holdt op med at virke|sluttet å virke|doet het niet|"
         r"(?:geht|funktioniert|lädt|startet)\b.{0,30}\bnicht mehr|"
         r"(?:kann|können) (?:ich |wir )?(?:mich |uns )?nicht (?:mehr )?(?:einloggen|anmelden)|"
         r"(?:einloggen|anmelden|login) (?:geht|funktioniert) nicht|no puedo (?:entrar|iniciar sesión)|"
         r"je n'arrive pas à me connecter|não consigo (?:entrar|logar|acessar)|non riesco ad accedere)\b")),
    (2, (r"エラー|起動し(?:ない|なく|ません)|起動できな|動かな|動きません|壊れ|故障|フリーズ|落ちる|バグ|不具合|クラッシュ|"
         r"開けません|ログインできな|ログインできません|同期できな|闪退|崩溃|错误|打不开|无法登录|卡死|坏了|用不了|"
         r"오류|에러|튕겨|고장|로그인이 안|작동이 안|ошибк|не работает|вылетает|зависает|сломал|баг")),
)
COMPLAINT = _rules(
    (2, (r"\b(?:never (?:arrived|came|received|showed up|got|shipped)|(?:hasn'?t|has not|haven'?t|didn'?t|did not|"
         r"not) (?:arrived|been delivered|received|got it|shipped|come)|still (?:waiting|hasn'?t|haven'?t|not|no|"
         r"nothing|says|shows|processing|pending|can'?t|cannot|don'?t)|where(?:'s| is) my (?:order|package|parcel|"
         r"refund|money|delivery)|(?:is|was|are|arrived|came|got here) (?:late|damaged|broken|wrong|missing|torn|"
         r"ripped|cracked|smashed|dented|incomplete|opened|wet|soaked|faulty|defective)|wrong (?:item|size|colou?r|"
         r"order|product|address)|(?:missing|without) (?:the |a |an |my |its )?(?:charger|cable|parts?|items?|"
         r"pieces?|accessor\w+|manual|lid|remote|battery)|"
         r"(?:charged|billed) (?:me )?(?:twice|two times|double|again)|double charged|overcharged|"
         r"(?:want|need|demand|requesting|waiting for|still no) (?:a |my )?(?:refund|money back)|money back|"
         r"no (?:one|body) (?:answers|responds|replies|helps|is helping|gets back)|"
         r"nobody (?:answers|responds|replies|helps|cares|gets back)|(?:no|zero) (?:response|reply|answer|update)s?|"
         r"(?:answer|respond to|reply to) me|"
         r"(?:emailed|called|messaged|wrote|contacted you|chased) (?:\w+ )?(?:twice|\d+|two|three|four|five|several|"
         r"multiple|many) times|(?:never|nobody|no one|no-one) (?:replied|answered|responded|got back)|"
         r"never heard back|ignor(?:ed|ing) (?:me|my)|(?:on hold|waiting) for (?:\w+ )?(?:hours?|minutes?|days?|weeks?)|"
         r"in circles|(?:need|want|speak to|talk to) (?:a |an )?(?:human|real person|manager|supervisor)|"
         r"not acceptable|(?:takes|taking|took) forever|fell apart|(?:broke|died|stopped working) after|"
         r"how you treat (?:your )?(?:customers|me|people)|"
         r"(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time (?:my|this|that|i(?:'ve| have)?|we|it)|"
         r"cancel(?:l?ing|l?ed)? (?:my|the|our) (?:subscription|account|order|plan|membership))\b")),
    (1, (r"\b(?:late|delay(?:ed)?|missing|damaged|lost|rude|ignored|scam|ripoff|rip-off|unacceptable|"
         r"disappoint\w*|terrible|awful|worst|horrible|ridiculous|useless|pathetic|furious|angry|hate|complain\w*|"
         r"waste|overpriced|charged|hidden fees?|refunds?|declined|cancel(?:l?ing|l?ed)|unsubscrib\w*|"
         r"reembolso|devolución|remboursement|rückerstattung|erstattung|rimborso|terugbetaling|iade|zwrot|"
         r"återbetalning)\b")),
    (2, (r"\b(?:no (?:ha|han) llegado|nunca llegó|no llegó|sigue sin llegar|llegó (?:roto|rota|mal|tarde|"
         r"incomplet[oa]|dañad[oa]|abiert[oa])|de retraso|nadie (?:me )?(?:responde|contesta|ayuda)|sin respuesta|"
         r"(?:cobraron|cobrado) dos veces|falta (?:el|la|un|una)|quiero (?:mi dinero|un reembolso)|estafa|pésimo|"
         r"vergüenza|reclamación|queja|"
         r"toujours pas|pas (?:encore )?reçu|jamais reçu|pas (?:encore )?arrivée?|inadmissible|scandaleux|arnaque|"
         r"réclamation|déçue?|(?:facturé|débité|prélevé) deux fois|personne ne (?:me )?répond|aucune réponse|"
         r"sans réponse|en retard|"
         r"immer noch nicht|nicht angekommen|noch nicht (?:da|angekommen|geliefert)|nie angekommen|enttäusch\w*|"
         r"unverschämt|frechheit|beschwerde|(?:doppelt|zweimal) (?:abgebucht|berechnet|bezahlt)|"
         r"(?:keiner|niemand) (?:meldet sich|antwortet)|keine (?:antwort|rückmeldung)|warteschleife|beschädigt|"
         r"unmöglich|nie wieder|geld zurück|"
         r"não chegou|ainda não|nunca chegou|chegou (?:quebrad[oa]|errad[oa]|danificad[oa]|atrasad[oa]|abert[oa])|"
         r"ninguém (?:me )?responde|sem resposta|quebrad[oa]|péssimo|reclamação|(?:cobrado|cobraram) duas vezes|"
         r"decepção|"
         r"non è (?:ancora )?arrivat[oa]|mai arrivat[oa]|in ritardo|pessim[oa]|vergogn\w+|reclamo|nessuna risposta|"
         r"nessuno (?:mi )?risponde|addebitat[oa] due volte|"
         r"nog steeds niet|niet (?:bezorgd|ontvangen|aangekomen|geleverd)|nog (?:niks|niets) ontvangen|klacht|"
         r"te laat|(?:twee keer|dubbel) (?:betaald|afgeschreven)|geen (?:reactie|antwoord)|belachelijk|"
         r"inte kommit|har inte (?:kommit|fått)|ingen svarar|försenad|"
         r"gelmedi|ulaşmadı|şikayet|kötü|rezalet|"
         r"nie (?:przyszła|dotarła|doszła)|reklamacja)\b")),
    (2, (r"届きません|届かない|届いていない|最悪|遅すぎ|がっかり|対応が悪|还没到|没收到|失望|太差|投诉|안 왔|최악|늦|"
         r"لم يصل|не пришёл|не пришел|ยังไม่ได้รับ")),
)
# What the brand sells or does: said in a negative tone, a complaint about it.
SUBJECTS = _rules(
    (1, (r"\b(?:orders?|package|parcel|delivery|courier|driver|shipment|shipping|subscription|account|service|"
         r"support|product|item|quality|fees?|staff|agent|invoice|bill|pedido|paquete|envío|entrega|servicio|"
         r"repartidor|mensajero|agente|livreur|fahrer|zusteller|entregador|atendente|corriere|fattorino|bezorger|"
         r"koerier|kurier|kurye|"
         r"atención|commande|colis|livraison|bestellung|paket|lieferung|kundenservice|encomenda|atendimento|ordine|"
         r"pacco|consegna|servizio|assistenza|bestelling|pakket|levering|bezorging|klantenservice|beställning|"
         r"leverans|sipariş|kargo|zamówienie|paczka)\b|注文|配送|サポート|対応|订单|快递|客服|주문|배송")),
)
SALES = _rules(
    (2, (r"\b(?:pricing|price list|quote|quotation|enterprise|wholesale|bulk (?:order|pricing|discount|purchase|buy)|"
         r"in bulk|reseller|resell|partner program|partnership|partner with|distributor|volume discount|"
         r"business (?:plan|account|tier|pricing)|(?:team|company|business|office|corporate|org(?:anization)?) "
         r"(?:plan|license|licence|account|pricing|order)|"
         r"(?:for|across) (?:my|our) (?:team|company|business|office|staff|org\w*|employees|school|agency|stores|hotels?)|"
         r"team of \d+|(?:chain|group|network) of (?:\d+ )?(?:stores|shops|cafes|restaurants|hotels|gyms|clinics|"
         r"offices)|\d+ (?:seats|users|licen[cs]es|employees|people|staff|agents|locations|stores|shops|branches|"
         r"offices|rooms|units|pieces|outlets|restaurants|cafes|hotels|gyms|clinics|schools)|"
         r"(?:book|schedule|request|get|set up) a (?:demo|call|meeting) with|talk to (?:sales|someone in sales)|"
         r"contact sales|sales team|(?:switch|switching|migrate|migrating) (?:to|from) |considering (?:you|your|switching)|"
         r"(?:i|we) run (?:a|an|\d+|two|three|four|five|several)|interested in (?:buying|purchasing|ordering|stocking|"
         r"carrying|a quote|your (?:products|range|services|catalog(?:ue)?)|your \w+ (?:bundle|range|line|package)))")),
    (1, r"\b(?:price|prices|cost|costs|how much|plans?|discount|annual billing|yearly billing|trial|upgrade to|licen[cs]e)\b"),
    (2, (r"\b(?:precios?|cotización|presupuesto|para (?:mi|nuestra) empresa|licencias|al por mayor|"
         r"(?:nos )?interesa(?:mos|ría)? comprar|queremos comprar|somos una (?:cadena|empresa|tienda|agencia|red)|"
         r"distribuidor|tarifs?|devis|pour (?:mon|notre) entreprise|en gros|revendeur|"
         r"nous sommes une (?:agence|entreprise|chaîne|société)|preis(?:e|liste)?|angebot|"
         r"für (?:unser|unsere) (?:unternehmen|firma|team|hotel|büro)|großbestellung|wiederverkäufer|"
         r"wir sind ein(?:e)? (?:hotel|firma|unternehmen|agentur|kette|büro)|interessieren uns für|lizenzen|"
         r"preço|orçamento|para (?:minha|nossa) empresa|atacado|revendedor|somos uma (?:rede|empresa|loja|agência)|"
         r"queremos comprar|prezzo|preventivo|per la (?:mia|nostra) azienda|all'ingrosso|rivenditore|"
         r"siamo un'azienda|siamo una (?:catena|azienda|società|agenzia)|per aziende|"
         r"offerte voor|voor (?:ons|mijn) bedrijf|wij zijn een (?:kantoor|bedrijf|hotel|winkel|keten)|groothandel|"
         r"wederverkoper|offert|wycena|hurtow\w*)\b|見積|法人|まとめ買い|まとめて購入|批发|报价|企业采购|견적|대량 구매|법인")),
)
QUESTION = _rules(
    (2, r"[?？¿]"),
    (1, (r"(?:^|[.!\n])\W{0,8}(?:how|what|where|when|why|which|who|whom|whose|is|are|can|could|do|does|did|will|would|"
           r"should|shall|may|have|has|any|anyone)\b")),
    (1.5, (r"\b(?:how (?:do|can|to|does|long|much|many)|is (?:it|there) (?:possible|a way)|is there|are there|"
           r"do you (?:have|know|ship|offer|support|sell|deliver|accept)|can (?:i|you|we)|any (?:way|idea|news|"
           r"update|plans)|anyone know|does anyone|wondering|i was wondering|what(?:'s| is) the|where (?:can|do|is)|"
           r"when (?:will|does|is|can)|let me know|what'?s (?:up|going on|happening) with)\b")),
    # requests (to be called back, to be sent something, to have something changed): answered like questions
    (1.5, (r"\b(?:(?:call|text|email|e-mail|ring|notify|contact|dm|message) me|get back to me|"
           r"please|pls|plz|i need (?:a|an|the|my|to)|i'?d like to|i would like to|"
           r"por favor|necesito|quisiera|me gustaría|llámame|llamadme|contáctenme|"
           r"s'il vous pla[iî]t|svp|j'aimerais|je voudrais|pourriez-vous|pouvez-vous|appelez-moi|rappelez-moi|"
           r"contactez-moi|bitte|ich brauche|ich hätte gern|könnten sie|ruf(?:t|en sie)? mich an|"
           r"podem|poderiam|preciso|gostaria|me liga|me ligue|liguem-me|"
           r"per favore|potete|potreste|vorrei|ho bisogno|chiamatemi|contattatemi|"
           r"alsjeblieft|alstublieft|graag|kunnen jullie|kunt u|bel me|proszę|lütfen)\b"
           r"|お願いします|お願いできますか|ください|下さい|折り返し|連絡(?:ください|して)|请|麻烦|주세요|부탁|연락주세요|联系我")),
    (1, (r"(?:^|[.!\n])\W{0,8}(?:cómo|dónde|cuándo|cuál|cuánto|qué|por qué|hay|comment|où|quand|quel|quelle|"
           r"pourquoi|combien|est-ce|wie|wo|wann|warum|welche|gibt es|kann ich|como|onde|quando|qual|quanto|vocês|"
           r"come|dove|perché|quanto|c'è|hoe|waar|wanneer|waarom|kan ik|kunnen|varför|hur|när|czy|jak|gdzie)\b")),
    (2, (r"ですか|ますか|でしょうか|吗|请问|怎么|如何|能不能|나요|까요|습니까|ไหม|มั้ย|หรือเปล่า|"
         r"(?:^|[.!\n])\W{0,8}(?:هل|كيف|متى|как|где|когда|можно ли)")),
)
PRAISE = _rules(
    (2, (r"\b(?:love|loved|loving|thanks|thank you|thx|ty|tysm|kudos|props|shout ?out|you rock|rocks|"
         r"well done|great job|good job|awesome|amazing|fantastic|excellent|brilliant|impressed|best|"
         r"hilarious|made my day|appreciate|lifesaver|recommend|(?:arrived|came|delivered) (?:\w+ ){0,2}early|"
         r"ahead of schedule|fastest|10/10|five stars|5 stars)\b")),
    (2, (r"\b(?:gracias|merci|danke|obrigad[oa]|grazie|bedankt|tack|takk|dziękuję|teşekkür\w*|"
         r"genial|génial|super|toll|ótimo|adorei|ottimo|geweldig|excelente|parfait|perfekt|perfetto|"
         r"parabéns|felicidades|enhorabuena|complimenti|bravo|bravi|recomiendo|recommande|empfehle|recomendo|"
         r"consiglio|aanrader|polecam|me encanta|j'adore|adoro|bellissim\w|prachtig|harika|спасибо|отлично)\b")),
    (2, r"ありがとう|感謝|最高|谢谢|感谢|감사|고맙|شكرا|спасибо|ขอบคุณ|धन्यवाद"),
    (1, r"[🙌❤♥👏🎉😍🥰🔥💯✨👍🤩🥳💕💖]"),
)
_MENTION = re.compile(r"(?<![\w/])@[\w.@-]+")
_SPACES = re.compile(r"[ \t]+")
# Thank-yous that close a request rather than praise anything.
_POLITENESS = re.compile(
    r"\b(?:(?:thanks|thank you|thx) (?:in advance|for (?:your|any) help)|gracias de antemano|merci d'avance|"
    r"danke im voraus|desde já (?:obrigad[oa]|agradeço)|grazie in anticipo|alvast bedankt)\b")  # for folded text


def _score(rules: list[tuple[float, re.Pattern[str]]], text: str) -> float:
    return sum(weight for weight, pattern in rules if pattern.search(text))


def detect_intent(text: str, sentiment: str = "neutral") -> str:
    """question, complaint, bug_report, praise, sales_lead, spam or other.

    `sentiment` (from detect_sentiment) breaks ties: "thanks for nothing" has a thank-you in it.
    """
    text = _folded(_SPACES.sub(" ", _MENTION.sub(" ", text[:SAMPLE])))
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
