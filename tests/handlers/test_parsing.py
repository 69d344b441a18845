import pytest

from handlers.context import Actor
from handlers.parsing import CommandError, parse_slash, parse_thread_message

ME = Actor("slack", "UJANE")


def test_slash_commands_carry_the_number_first():
    request = parse_slash("/reply", "#42 Thanks, we're on it!", ME)
    assert (request.command, request.number, request.args) == ("reply", 42, "Thanks, we're on it!")
    assert parse_slash("/claim", "7", ME).number == 7


@pytest.mark.parametrize("text", ["", "abc", "@sam 4"])
def test_a_missing_number_gets_the_usage(text):
    with pytest.raises(CommandError, match="Which conversation\\? Usage: /assign 42 @teammate"):
        parse_slash("/assign", text, ME)


def test_thread_messages_are_notes_unless_they_start_with_a_bang():
    note = parse_thread_message("  customer is a VIP, be nice ", 3, ME, "C1:1.2")
    assert (note.command, note.number, note.args, note.message_id) == ("note", 3, "customer is a VIP, be nice", "C1:1.2")
    reply = parse_thread_message("!reply Sorry about that!", 3, ME, None)
    assert (reply.command, reply.number, reply.args) == ("reply", 3, "Sorry about that!")
    assert parse_thread_message("!CLAIM", 3, ME, None).command == "claim"


def test_an_unknown_bang_command_is_not_silently_a_note():
    with pytest.raises(CommandError, match="Unknown command !repyl; nothing was done"):
        parse_thread_message("!repyl hi", 3, ME, None)
