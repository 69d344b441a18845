"""Sentiment lexicons: per language, the words and phrases that carry feeling, and the words that change it.

Valences run from -3 (the strongest negative word) to +3, on the scale of published lexicons such as
VADER and AFINN scaled down. Besides opinion words, each language lists what a support desk reads as
feeling even when no opinion word is used: problem words ("crashed", "retraso", "kaputt") and
"expected" verbs, things a customer counts on happening ("arrived", "funciona", "angekommen"), which
carry no feeling until they are negated ("hasn't arrived", "no funciona", "ist nicht angekommen").

A post is read with English (customers mix English words into every language: "top service", "app")
plus the lexicon of its own language, so a word that means one thing in one language and another
elsewhere (German "mal" is "once", Spanish "mal" is "bad") is read in the right one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache


def _weighted(spec: str) -> dict[str, float]:
    """'3: love amazing  2: great' -> {"love": 3.0, "amazing": 3.0, "great": 2.0}."""
    words: dict[str, float] = {}
    for weight, group in re.findall(r"(-?[\d.]+):\s*([^:]+?)(?=\s+-?[\d.]+:|\s*$)", spec.strip()):
        words.update(dict.fromkeys(group.split(), float(weight)))
    return words


@dataclass(frozen=True)
class Lexicon:
    words: dict[str, float] = field(default_factory=dict)
    phrases: dict[str, float] = field(default_factory=dict)  # read as one token before single words
    negators: frozenset[str] = frozenset()
    intensifiers: dict[str, float] = field(default_factory=dict)  # multiply the next word: >1 stronger, <1 weaker
    contrast: frozenset[str] = frozenset()  # "but": what follows counts more than what came before
    expected: frozenset[str] = frozenset()  # verbs whose negation is a complaint
    thanks: frozenset[str] = frozenset()  # thank-yous, which are politeness in a request

    def __or__(self, other: Lexicon) -> Lexicon:
        """Both lexicons; `other` wins where they disagree."""
        return Lexicon(self.words | other.words, self.phrases | other.phrases, self.negators | other.negators,
                       self.intensifiers | other.intensifiers, self.contrast | other.contrast,
                       self.expected | other.expected, self.thanks | other.thanks)


def _lexicon(words: str, *, phrases: dict[str, float] | None = None, negators: str = "", intensifiers: str = "",
             contrast: str = "", expected: str = "", thanks: str = "") -> Lexicon:
    return Lexicon(_weighted(words), phrases or {}, frozenset(negators.split()), _weighted(intensifiers),
                   frozenset(contrast.split()), frozenset(expected.split()), frozenset(thanks.split()))


ENGLISH = _lexicon(
    """
    3: love loved loves loving adore adored adores amazing amazed awesome excellent exceptional fantastic fabulous
       incredible outstanding perfect perfection brilliant wonderful superb phenomenal magnificent marvellous
       marvelous spectacular terrific best thrilled delighted ecstatic stellar flawless impeccable lifesaver
       godsend heavenly
    2.5: brilliantly seamless effortless delicious superb gorgeous stunning beautifully grateful thankful
         fab legendary
    2: great super lovely happy glad appreciate appreciated appreciative helpful impressed impressive recommend
       recommended beautiful enjoy enjoyed enjoying pleased satisfied kudos rocks legend hero yay woohoo hooray
       stoked excited exciting favourite favorite intuitive proud bravo congrats congratulations generous
       pleasant charming elegant wonderfully awesome cheerful joy joyful
    1.5: good nice thanks thank thx ty tysm cheers friendly reliable fun smooth courteous polite patient
         attentive professional efficient convenient handy comfortable comfy cozy cosy neat cute solid sturdy
         tasty yummy sleek responsive improved improvement
    1: cool sweet easy haha hehe worth props helped solved resolved better
    0.5: quick quickly fast promptly
    0.4: fine decent ok okay alright lol lmao fixed clean
    -0.5: meh issue issues concerned confusingly odd weird strange waiting sorry
    -1: problem problems trouble wrong lost missing late delayed delay delays declined rejected error errors
        bug bugs lag lagging confused confusing expensive pricey complaint complained complaining unable
        impossible worried hassle cancelled canceled cancelling canceling overdue disappeared vanished stuck
        unclear slowly sigh yikes ugh
    -1.5: slow crash crashed glitch glitches freezes freezing frozen laggy mess messed overpriced dead shame poor
          ignored ignoring inadequate ripped torn cracked scratched dented smashed shattered leaking leaks
          mediocre inferior sloppy careless clueless lazy unfair mad sad smh unanswered neglected unresponsive
          joke sucky annoys bothered
    -2: bad broken crashes crashing fail failed failing fails failure buggy glitchy disappointed disappointing
        disappointment annoyed annoying irritated irritating upset frustrated frustrating frustration sucks suck
        sucked damaged defective faulty overcharged rude unreliable worse waste wasted hacked stolen
        unprofessional misleading trash outage wtf unhappy dissatisfied unsatisfied displeased lousy unhelpful
        lied lying liar bricked ruined unusable
    -2.5: useless garbage angry furious incompetent ripoff livid fuming disgusted outrageous infuriating
          rubbish crap crappy ridiculous cheated inexcusable worthless hopeless unbearable sickening pissed
    -3: worst terrible horrible awful hate hated hates hating disgusting pathetic unacceptable scam scammed
        scammers fraud fraudulent disgrace disgraceful nightmare appalling atrocious abysmal dreadful shameful
        despicable horrendous shitty bullshit
    """,
    phrases={
        "thank you": 1.5, "thanks a lot": 2, "thanks so much": 2.5, "thank you so much": 2.5, "well done": 2,
        "made my day": 3, "you rock": 2, "shout out": 1.5, "great job": 2.5, "good job": 2, "nice job": 2,
        "nice work": 2, "can't wait": 1.5, "cannot wait": 1.5, "couldn't be happier": 3, "no problem": 0.5,
        "no worries": 0.5, "can't believe": 0, "cannot believe": 0, "couldn't believe": 0, "not bad": 1,
        "not too bad": 1, "above and beyond": 3, "top notch": 2.5,
        "would recommend": 2, "highly recommend": 3, "would buy again": 2.5, "would order again": 2.5,
        "10/10": 2.5, "5/5": 2.5, "five stars": 2.5, "5 stars": 2, "one star": -2, "1 star": -2, "0/10": -3,
        "1/10": -2.5, "thanks for nothing": -3, "thanks in advance": 0, "thank you in advance": 0,
        "never again": -3, "waste of time": -3, "waste of money": -3, "still waiting": -2, "still nothing": -2,
        "still no": -1.5, "still not": -1, "no response": -2, "no reply": -2, "no answer": -2, "no update": -1.5,
        "no explanation": -1.5, "rip off": -2.5, "fed up": -2.5, "sick of": -2.5, "tired of": -2,
        "what a joke": -3, "not happy": -2, "not ok": -1.5, "not okay": -1.5, "not acceptable": -2.5,
        "takes forever": -2, "taking forever": -2, "took forever": -2, "spins forever": -2,
        "stopped working": -2, "no longer works": -2, "does nothing": -2, "let down": -2, "charged twice": -2.5,
        "charged me twice": -2.5, "double charged": -2.5, "billed twice": -2.5, "money back": -1.5,
        "on hold": -1, "never heard back": -2, "is down": -1.5, "are down": -1.5, "went down": -1.5,
        "been down": -1.5, "down again": -1.5, "blank screen": -1.5, "white screen": -1.5, "black screen": -1.5,
        "error message": -1.5, "not working": -2, "out of stock": -0.5, "expected better": -1.5,
        "best regards": 0, "kind regards": 0, "kind of": 0, "sort of": 0, "would like": 0,
    },
    negators="""not no never none neither nor without hardly barely cannot cant dont doesnt didnt isnt wasnt wont
        arent werent havent hasnt hadnt shouldnt wouldnt couldnt aint nothing nobody noone nowhere""",
    intensifiers="""1.8: extremely absolutely incredibly insanely utterly unbelievably exceptionally
        1.5: very really so super totally completely truly highly deeply terribly awfully hugely massively
             ridiculously seriously especially remarkably damn freaking fucking bloody
        1.3: too such most quite pretty
        0.6: slightly somewhat kinda bit little fairly mildly""",
    contrast="but however though although yet",
    expected="""arrive arrived arrives arriving come came comes coming received receive get got work works working
        worked load loads loading open opens opening respond responded responding reply replied answer answered
        help helped deliver delivered show showed shown sync syncing connect connecting start starts started
        log login sign access refunded fix fixed ship shipped update updating updated upload uploading download
        downloading install save saving send sending sent play pay print let boot launch turn pair accept
        accepted recognise recognize heard contacted called""",
    thanks="thanks thank thx ty tysm cheers",
)

SPANISH = _lexicon(
    """
    3: excelente excelentes increíble increíbles maravilloso maravillosa perfecto perfecta encanta encantó
       encantado encantada espectacular fantástico fantástica estupendo estupenda magnífico magnífica
       buenísimo buenísima genial geniales
    2: contento contenta feliz satisfecho satisfecha amable amables atento atenta útil recomiendo recomendable
       precioso preciosa agradecido agradecida felicidades enhorabuena bravo top
    1.5: gracias bueno buena buenos buenas buen bonito bonita lindo linda chulo rápido rápida eficiente
    1: bien súper
    -0.5: esperando espera
    -1: problema problemas error errores retraso retrasado retrasada demora tarde caro lento lenta
        falta incompleto incompleta perdido perdida
    -1.5: fallo fallos falla bloqueado bloqueada mal molesto molesta
    -2: malo mala malos malas roto rota rotos rotas estropeado estropeada defectuoso defectuosa dañado dañada
        peor decepcionado decepcionada decepción decepcionante harto harta enfadado enfadada abusivo maleducado
        maleducada grosero grosera desagradable
    -2.5: inútil ridículo ridícula incompetentes cabreado cabreada indignado indignada
    -3: pésimo pésima pésimos horrible horribles terrible terribles asco asqueroso vergüenza vergonzoso
        estafa estafadores timo inaceptable lamentable desastre desastroso indignante
    """,
    phrases={"no está mal": 1, "muchas gracias": 2, "dejó de funcionar": -2, "dejado de funcionar": -2,
             "sigo esperando": -2, "todavía espero": -2,
             "nunca más": -3, "gracias de antemano": 0, "sin respuesta": -2, "dos veces": -0.5,
             "mi dinero": -0.5, "buenos días": 0, "buenas tardes": 0, "buenas noches": 0},
    negators="no nunca nada nadie ni jamás tampoco sin",
    intensifiers="1.5: muy tan demasiado realmente súper super 1.3: bastante 0.6: poco algo",
    contrast="pero aunque embargo",
    expected="""llegado llegó llega llegan llegar funciona funcionan funcionar carga cargar abre abrir responde
        responden respondido contesta contestan contestado enciende encender recibido recibí recibo entregado
        entregaron devuelto devuelven sirve deja entrar pagar acceder""",
    thanks="gracias",
)

FRENCH = _lexicon(
    """
    3: excellent excellente parfait parfaite génial géniale magnifique merveilleux merveilleuse incroyable
       fantastique formidable exceptionnel exceptionnelle adore adoré adorée sublime impeccable
    2: bravo content contente ravi ravie satisfait satisfaite heureux heureuse recommande top nickel
       efficace réactif réactive réactivité sympa chapeau
    1.5: merci bon bonne bons bonnes gentil gentille agréable beau belle joli jolie super rapide
    1: bien pratique
    -0.5: attends attente
    -1: problème problèmes erreur retard retardé lent lente perdu perdue manque incomplet incomplète
    -1.5: bloqué bloquée plante bug bugs agacé agacée
    -2: mauvais mauvaise déçu déçue décevant décevante déception cassé cassée cassés abîmé abîmée endommagé
        endommagée défectueux défectueuse pire énervé énervée marre inutile désagréable impoli impolie grossier
        grossière
    -2.5: nul nulle ridicule incompétent incompétents furieux furieuse honte dégoûté dégoûtée
    -3: horrible honteux honteuse scandaleux scandaleuse inadmissible inacceptable lamentable catastrophique
        catastrophe arnaque arnaqueurs escroquerie minable pitoyable déplorable
    """,
    phrases={"pas terrible": -1.5, "pas mal": 1, "toujours pas": -1.5, "j'attends toujours": -2,
             "merci d'avance": 0, "merci beaucoup": 2, "au top": 2, "plus jamais": -3, "deux fois": -0.5,
             "aucune réponse": -2, "sans réponse": -2, "pas normal": -1.5, "ne marche plus": -2,
             "ne fonctionne plus": -2},
    negators="ne pas jamais rien personne aucun aucune ni sans",
    intensifiers="1.5: très trop vraiment tellement hyper super 1.3: assez 0.6: peu",
    contrast="mais pourtant cependant toutefois contre",
    expected="""arrivé arrivée arrive arrivent reçu reçue reçois marche marchent fonctionne fonctionnent charge
        ouvre répond répondent répondu livré livrée livrés remboursé remboursée passe connecter""",
    thanks="merci",
)

GERMAN = _lexicon(
    """
    3: hervorragend ausgezeichnet großartig fantastisch wunderbar genial begeistert spitze perfekt
    2: super toll klasse prima top zufrieden glücklich hilfsbereit empfehlen empfehle empfehlenswert
    1.5: gut gute guter gutes danke dank freundlich schön schöne lob praktisch
    0.75: schnell
    -1: problem probleme fehler langsam verspätet verspätung teuer warten wartezeit fehlt
    -1.5: absturz stürzt abgestürzt warteschleife
    -2: schlecht schlechte schlechter schlechtes enttäuscht enttäuschend enttäuschung kaputt defekt beschädigt
        ärgerlich verärgert sauer nervig genervt peinlich unmöglich unfreundlich unhöflich
    -2.5: wütend nutzlos unbrauchbar mies
    -3: katastrophe katastrophal unverschämt frechheit skandal skandalös miserabel grauenhaft schrecklich
        furchtbar beschissen abzocke betrug betrüger inakzeptabel
    """,
    phrases={"vielen dank": 2, "danke schön": 2, "nicht schlecht": 1, "immer noch nicht": -1.5,
             "warte immer noch": -2, "nie wieder": -3, "danke im voraus": 0, "doppelt abgebucht": -2.5,
             "zweimal abgebucht": -2.5, "keine antwort": -2, "keine rückmeldung": -2},
    negators="nicht kein keine keinen keinem keiner nie niemals niemand nichts ohne",
    intensifiers="1.5: sehr echt wirklich total extrem richtig voll mega zu so 1.3: ziemlich 0.6: etwas bisschen",
    contrast="aber jedoch trotzdem allerdings dennoch",
    expected="""angekommen ankommen gekommen kommt geliefert erhalten bekommen funktioniert funktionieren geht
        lädt öffnet antwortet meldet reagiert akzeptiert erstattet""",
    thanks="danke dank",
)

PORTUGUESE = _lexicon(
    """
    3: ótimo ótima excelente perfeito perfeita maravilhoso maravilhosa incrível adorei adoro amei amo fantástico
       sensacional espetacular
    2: feliz satisfeito satisfeita contente lindo linda parabéns recomendo atencioso atenciosa amável top
    1.5: obrigado obrigada bom boa bonito bonita gentil eficiente legal rápido rápida
    1: bem
    -0.5: esperando
    -1: problema problemas erro atraso atrasado atrasada demora demorado lento lenta falta
    -1.5: trava travando mal defeito
    -2: ruim quebrado quebrada estragado estragada danificado danificada defeituoso pior chateado chateada
        irritado irritada insatisfeito insatisfeita decepção decepcionado decepcionada decepcionante grosseiro
        grosseira rude
    -2.5: inútil absurdo ridículo vergonha golpe porcaria
    -3: péssimo péssima horrível terrível vergonhoso inaceitável lamentável fraude nojento lixo
    """,
    phrases={"muito obrigado": 2, "muito obrigada": 2, "parou de funcionar": -2, "ainda não": -1.5, "ainda estou esperando": -2,
             "nunca mais": -3, "desde já obrigado": 0, "desde já obrigada": 0, "desde já agradeço": 0,
             "duas vezes": -0.5, "não consigo": -1.5, "sem resposta": -2, "bom dia": 0, "boa tarde": 0,
             "boa noite": 0},
    negators="não nunca nada ninguém nem sem jamais",
    intensifiers="1.5: muito tão demais super realmente 1.3: bastante 0.6: pouco",
    contrast="mas porém entretanto contudo embora",
    expected="""chegou chegaram chega funciona funcionam abre carrega responde respondem respondeu recebi
        recebido entregue entregaram liga devolveram""",
    thanks="obrigado obrigada",
)

ITALIAN = _lexicon(
    """
    3: ottimo ottima ottimi eccellente perfetto perfetta fantastico fantastica meraviglioso meravigliosa
       stupendo stupenda bellissimo bellissima splendido incredibile adoro
    2: bravo bravi brava contento contenta soddisfatto soddisfatta felice consigliato consigliata complimenti
       gentili gentile top
    1.5: grazie buono buona bello bella efficiente cortese super
    1: bene veloce rapido rapida consiglio
    -0.5: aspettando attesa
    -1: problema problemi errore ritardo lento lenta manca
    -1.5: blocca bloccato bloccata
    -2: deluso delusa delusione deludente brutto brutta rotto rotta danneggiato danneggiata difettoso peggio
        peggiore inutile scortese maleducato maleducata sgarbato sgarbata
    -2.5: arrabbiato arrabbiata ridicolo ridicola
    -3: pessimo pessima pessimi schifo vergogna vergognoso vergognosa orribile terribile inaccettabile truffa
        truffatori scandaloso scandalosa disastro indecente
    """,
    phrases={"grazie mille": 2, "non male": 1, "smesso di funzionare": -2, "non ancora": -1.5, "ancora non": -1.5,
             "sto ancora aspettando": -2, "mai più": -3, "grazie in anticipo": 0, "nessuna risposta": -2,
             "due volte": -0.5},
    negators="non mai niente nulla nessuno nessuna né senza",
    intensifiers="1.5: molto troppo davvero così proprio veramente super 0.6: poco",
    contrast="ma però tuttavia eppure",
    expected="""arrivato arrivata arriva arrivati funziona funzionano carica apre risponde rispondono risposto
        ricevuto ricevuta consegnato consegnata accende sincronizza rimborsato""",
    thanks="grazie",
)

DUTCH = _lexicon(
    """
    3: geweldig fantastisch uitstekend perfect prachtig heerlijk
    2.5: aanrader
    2: top blij tevreden mooi mooie aanbevolen behulpzaam super
    1.5: bedankt dank goed goede fijn vriendelijk netjes prima
    0.75: snel
    -0.5: wachten wacht
    -1: probleem problemen fout traag vertraging duur jammer kwijt
    -1.5: foutmelding crasht balen
    -2: slecht slechte teleurgesteld teleurstellend teleurstelling kapot beschadigd defect boos irritant onbeleefd
        onvriendelijk
    -2.5: onbruikbaar
    -3: waardeloos belachelijk schandalig verschrikkelijk vreselijk oplichters oplichting bagger
    """,
    phrases={"niet slecht": 1, "nog steeds niet": -1.5, "wacht nog steeds": -2, "nooit meer": -3,
             "alvast bedankt": 0, "hartelijk dank": 2, "twee keer": -0.5, "geen reactie": -2,
             "geen antwoord": -2, "loopt vast": -2, "doet het niet": -2},
    negators="niet geen nooit niets niks niemand zonder",
    intensifiers="1.5: heel erg zeer echt super zo ontzettend 0.6: beetje",
    contrast="maar echter hoewel",
    expected="""bezorgd geleverd ontvangen aangekomen binnen werkt werken laadt opent reageert reageren
        terugbetaald""",
    thanks="bedankt dank",
)

SWEDISH = _lexicon(
    """
    3: fantastisk underbar utmärkt älskar perfekt
    2: jättebra toppen grym nöjd
    1.5: tack bra trevlig
    0.75: snabb snabbt
    -1: problem fel långsam försenad
    -2: dålig dåligt dåliga besviken trasig trasigt arg irriterad otrevlig oförskämd
    -3: sämst värdelös katastrof skandal bedrägeri
    """,
    phrases={"tack så mycket": 2, "aldrig mer": -3, "slutade fungera": -2},
    negators="inte ingen inget inga aldrig utan ej",
    intensifiers="1.5: mycket väldigt riktigt så",
    contrast="men dock",
    expected="kommit kom fungerar levererad levererat fått svarar svarat",
    thanks="tack",
)

DANISH_NORWEGIAN = _lexicon(
    """
    3: fantastisk perfekt
    2: super
    1.5: tak takk god godt fint
    -1: problem forsinket
    -2: dårlig dårligt skuffet skuffende uhøflig
    -3: elendig
    """,
    phrases={"holdt op med at virke": -2, "sluttet å virke": -2},
    negators="ikke ingen aldrig aldri uden uten",
    intensifiers="1.5: meget veldig",
    contrast="men",
    expected="kommet virker fungerer modtaget mottatt",
    thanks="tak takk",
)

POLISH = _lexicon(
    """
    3: doskonały doskonale świetny świetnie
    2.5: polecam
    2: super zadowolony zadowolona
    1.5: dziękuję dzięki dobry dobrze
    -1: problem błąd wolno
    -1.5: zawiesza zawiesił
    -2: zły źle rozczarowany rozczarowana zepsuty zepsuta uszkodzony uszkodzona niegrzeczny niemiły
    -3: fatalny fatalnie beznadziejny beznadziejnie okropny okropnie tragedia oszustwo skandal
    """,
    phrases={"przestał działać": -2, "przestała działać": -2, "przestało działać": -2},
    negators="nie nigdy nic nikt bez żaden żadna",
    intensifiers="1.5: bardzo naprawdę",
    contrast="ale jednak",
    expected="działa przyszła przyszło dotarła dotarło otrzymałem otrzymałam odpowiada",
    thanks="dziękuję dzięki",
)

TURKISH = _lexicon(
    """
    3: harika mükemmel
    2: süper güzel memnun
    1.5: teşekkürler teşekkür sağol iyi
    -1: sorun hata gecikme geç
    -1.5: gelmedi ulaşmadı açılmıyor
    -2: kötü bozuk kırık hasarlı çalışmıyor kaba
    -3: berbat rezalet rezil dolandırıcı
    """,
    phrases={"memnun değilim": -2, "bir daha asla": -3, "çalışmayı bıraktı": -2},
    negators="değil hiç",
    intensifiers="1.5: çok gerçekten",
    contrast="ama fakat",
    thanks="teşekkürler teşekkür sağol",
)

RUSSIAN = _lexicon(
    """
    3: отлично отличный отличная
    2.5: рекомендую люблю
    2: супер класс доволен довольна
    1.5: спасибо хорошо хороший хорошая
    -1: проблема ошибка медленно
    -2: плохо плохой плохая разочарован разочарована сломан сломался сломалась
    -3: ужасно ужасный ужасная отвратительно кошмар обман мошенники
    """,
    negators="не нет никогда ничего никто без",
    intensifiers="1.5: очень",
    contrast="но однако",
    expected="работает пришёл пришел пришла пришло доставили получил получила ответили отвечает",
    thanks="спасибо",
)

BY_LANGUAGE = {"en": ENGLISH, "es": SPANISH, "fr": FRENCH, "de": GERMAN, "pt": PORTUGUESE, "it": ITALIAN,
               "nl": DUTCH, "sv": SWEDISH, "da": DANISH_NORWEGIAN, "no": DANISH_NORWEGIAN, "pl": POLISH,
               "tr": TURKISH, "ru": RUSSIAN}


@cache
def lexicon_for(language: str) -> Lexicon:
    """English and the post's language; English alone for a language without its own lexicon."""
    own = BY_LANGUAGE.get(language)
    return ENGLISH | own if own is not None and own is not ENGLISH else ENGLISH


# Scripts written without spaces between words (and some with rich inflection): matched as substrings,
# whatever the detected language, since the script alone says which language they belong to.
SUBSTRINGS = {
    # Japanese
    "ありがとう": 2, "感謝": 2, "最高": 3, "素晴らしい": 3, "助かり": 2, "助かっ": 2, "嬉しい": 2, "満足": 2,
    "気に入": 2, "良かった": 2, "大好き": 2.5, "素敵": 2, "完璧": 2.5, "快適": 2, "丁寧": 1.5, "便利": 1.5,
    "最悪": -3, "ひどい": -2.5, "酷い": -2.5, "遅い": -1.5, "遅すぎ": -2, "届きません": -1.5, "届かない": -1.5,
    "届いていない": -1.5, "壊れ": -2, "不具合": -1.5, "故障": -1.5, "起動しません": -2, "起動しない": -2,
    "起動しなく": -2, "できません": -1, "できない": -1, "使えない": -2, "使えません": -2, "がっかり": -2,
    "困って": -1.5, "残念": -1.5, "不満": -2, "二度と": -2, "返金": -1, "エラー": -1.5,
    # Chinese
    "谢谢": 2, "感谢": 2, "很好": 2, "太好了": 2.5, "喜欢": 2, "满意": 2, "完美": 2.5, "好用": 2, "给力": 2,
    "失望": -2, "太差": -3, "差劲": -2.5, "垃圾": -3, "还没到": -1.5, "没收到": -1.5, "闪退": -2, "崩溃": -2,
    "骗子": -3, "糟糕": -2.5, "生气": -2, "不能用": -2, "用不了": -2, "坏了": -2, "态度差": -2.5, "投诉": -1.5, "退款": -1,
    # Korean
    "감사": 2, "고맙": 2, "최고": 3, "좋아요": 2, "좋네요": 2, "좋습니다": 2, "만족": 2, "훌륭": 2.5, "친절": 1.5,
    "최악": -3, "늦": -1.5, "안 왔": -1.5, "안 와": -1.5, "실망": -2, "짜증": -2, "오류": -1.5, "고장": -1.5,
    "불만": -2, "별로": -1.5, "환불": -1,
    # Thai
    "ขอบคุณ": 2, "ดีมาก": 2.5, "ประทับใจ": 2, "ชอบ": 1.5, "แย่": -2.5, "ช้า": -1.5, "ยังไม่ได้รับ": -1.5,
    "ผิดหวัง": -2, "เสีย": -1.5,
    # Arabic
    "شكرا": 2, "ممتاز": 3, "رائع": 3, "جميل": 2, "سيء": -2.5, "لم يصل": -1.5, "سيئة": -2.5, "للأسف": -1.5,
    # Hindi
    "धन्यवाद": 2, "बहुत अच्छा": 2.5, "बढ़िया": 2.5, "बेकार": -2.5, "खराब": -2, "नहीं आया": -1.5,
}
EMOJI = {
    **dict.fromkeys("😀😃😄😁😆😊☺🙂😇🤗😋😎👌🤝🫡☀🌞🌈", 1.5), **dict.fromkeys("😍🥰😘😻🤩🥳🎉🎊🏆🥇🫶💯🥹", 2.5),
    **dict.fromkeys("👍🙌👏💪✨⭐🌟❤♥🧡💛💚💙💜🤍💕💖💗💓💞💐", 2), **dict.fromkeys("😂🤣🔥", 1),
    **dict.fromkeys("🙏✅✔", 0.5), **dict.fromkeys("😐😬🤷⚠🙃😳", -0.5),
    **dict.fromkeys("😕🙁☹😓😱😧😨❌😴🥱😪🫠", -1),
    **dict.fromkeys("😞😟😔😢😭😩😫😖😣😰😒🙄😑🤦💔🤡🛑", -1.5), **dict.fromkeys("😤👎🤮🤢💩", -2),
    **dict.fromkeys("😠😡🤬", -2.5),
}
EMOTICONS = {":)": 1.5, ":-)": 1.5, ":]": 1.5, "=)": 1.5, ":D": 2, ":-D": 2, "xD": 1, "XD": 1, ";)": 1,
             ";-)": 1, ":P": 0.5, ":-P": 0.5, "<3": 2, "^^": 1, "^_^": 1.5, ":(": -1.5, ":-(": -1.5, ":'(": -2,
             ":/": -1, ":-/": -1, ":|": -0.5, ">:(": -2.5, "D:": -1.5, "-_-": -1, "</3": -2, "T_T": -1.5}
