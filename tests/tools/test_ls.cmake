# metall-ls on a good datastore (text and JSON) and on a crashed one.
set(TEST_NAME ls)
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
set(DS ${WORK}/good)
run(f ${FIXTURE} good ${DS})
require(f "fixture good")

run(r ${LS} ${DS})
expect(r 0 WHAT "text listing exits 0"
       OUT "uuid +[0-9a-f]+-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+\n.*consistent +yes.*named objects 3\n +NAME +LENGTH +DESCRIPTION\n +array +800 bytes  \"100 longs\"\n +big +3145728 bytes")
expect(r 0 WHAT "description and format shown"
       OUT "description +tool test \"fixture\"\\\\nsecond line\n.*format +[0-9]+\\.[0-9]+\n.*capacity")

run(j ${LS} --json ${DS})
expect(j 0 WHAT "--json exits 0")
if(PYTHON)
  file(WRITE ${WORK}/ls.json "${j_out}")
  # the JSON must parse and hold the right values, escapes included
  run(p ${PYTHON} -c [[
import json, sys
d = json.load(open(sys.argv[1]))
assert d["consistent"] is True, d
assert d["description"] == 'tool test "fixture"\nsecond line', d["description"]
assert len(d["uuid"]) == 36
assert d["stats"]["named_objects"] == 3
assert d["stats"]["allocated_bytes"] >= 800 + 3 * 2**20 + 48000, d["stats"]
assert d["block_size"] > 0 and d["capacity"] % d["block_size"] == 0
names = {o["name"]: o for o in d["named_objects"]}
assert names["array"]["length"] == 800 and names["array"]["description"] == "100 longs"
assert names["big"]["length"] == 3 << 20
odd = 'we"ird\\na\tme-\u00e9'
assert names[odd]["length"] == 8, names.keys()
assert names[odd]["description"] == "ctrl \x01 and bad utf8 \u00ff", names[odd]
print("json ok")
]] ${WORK}/ls.json)
  expect(p 0 OUT "json ok" WHAT "--json parses with python3 and has the right values")
else()
  message(STATUS "python3 not found: JSON parse check skipped")
endif()

# open for writing by another process: explained, exit 1
run(r ${FIXTURE} hold ${DS} ${LS} ${DS})
expect(r 1 WHAT "datastore open for writing elsewhere"
       OUT "uuid +[0-9a-f-]+\n.*consistent +no: [^\n]*open for writing" ERR "open for writing")

# a crashed datastore: what can be read without opening, why, exit 1
set(CR ${WORK}/crashed)
run(f ${FIXTURE} crashed ${CR})
require(f "fixture crashed")
run(r ${LS} ${CR})
expect(r 1 WHAT "crashed datastore: uuid and description shown, exit 1"
       OUT "description +tool test.*uuid +[0-9a-f-]+\n.*consistent +no: .*not closed properly"
       ERR "cannot open .*not closed properly")
run(j ${LS} --json ${CR})
expect(j 1 WHAT "crashed datastore --json exits 1" ERR "not closed properly")
if(PYTHON)
  file(WRITE ${WORK}/cr.json "${j_out}")
  run(p ${PYTHON} -c [[
import json, sys
d = json.load(open(sys.argv[1]))
assert d["consistent"] is False and "not closed properly" in d["error"], d
assert len(d["uuid"]) == 36 and d["description"].startswith("tool test")
print("json ok")
]] ${WORK}/cr.json)
  expect(p 0 OUT "json ok" WHAT "crashed --json parses, consistent false, error given")
endif()
done()
