"""Review Z23 (controls): an error reply raised on the client pickles and copies as its
class, with its type, message and attributes, so a process pool (a plan run in a worker
process) hands its parent the error ``except CampaignStoppedError`` catches. It had raised
PicklingError (the classes were no attributes of adaptive.protocol) or TypeError
(``RemoteError.__init__`` takes the type and message, not the exception's one-string args)."""

import copy
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest

from adaptive import protocol
from adaptive.errors import CampaignStoppedError, RemoteError


def error_reply(type_: str, message: str) -> dict:
    """The envelope of an error reply of ``type_``."""
    error = {"type": type_, "message": message}
    return {"v": protocol.PROTOCOL_VERSION, "id": "r1", "ok": False, "error": error}


def raised_by(envelope: dict) -> RemoteError:
    """The error ``unwrap_reply`` raises for ``envelope``."""
    with pytest.raises(RemoteError) as caught:
        protocol.unwrap_reply(envelope)
    return caught.value


def _round_trip(err):
    return pickle.loads(pickle.dumps(err))


@pytest.mark.parametrize("rebuild", [_round_trip, copy.copy, copy.deepcopy])
@pytest.mark.parametrize("type_", [*protocol.REMOTE_ERRORS, "ErrorOfANewerServer"])
def test_every_remote_error_pickles_and_copies_as_itself(type_, rebuild):
    err = raised_by(error_reply(type_, "campaign 'c1' stopped: goal reached"))
    err.request = "the unanswered request"  # an attribute set after it was raised
    rebuilt = rebuild(err)
    assert type(rebuilt) is type(err) and rebuilt is not err
    assert (rebuilt.type, str(rebuilt), rebuilt.args) == (err.type, str(err), err.args)
    assert vars(rebuilt) == vars(err) and rebuilt.request == "the unanswered request"


def test_a_process_pool_hands_its_parent_the_remote_error_as_its_class():
    reply = error_reply("CampaignStoppedError", "campaign 'c1' stopped: goal reached")
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter, as any platform's
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:
        with pytest.raises(CampaignStoppedError) as caught:
            pool.submit(protocol.unwrap_reply, reply).result(timeout=60)
    err = caught.value
    assert type(err) is protocol.REMOTE_ERRORS["CampaignStoppedError"]
    assert err.type == "CampaignStoppedError"
    assert str(err) == "CampaignStoppedError: campaign 'c1' stopped: goal reached"
