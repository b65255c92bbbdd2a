# metall-check: 0 on a good datastore; 1 on damaged ones, naming every
# damaged file (not only the first).
set(TEST_NAME check)
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
set(DS ${WORK}/good)
run(f ${FIXTURE} good ${DS})
require(f "fixture good")

run(r ${CHECK} ${DS})
expect(r 0 OUT "verdict: OK" NOTOUT "PROBLEM" WHAT "good datastore: exit 0")
expect(r 0 OUT "ok +chunks .*ok +names +3 named objects.*ok +closed.*ok +segment"
       WHAT "good datastore: each file reported ok")
run(r ${CHECK} --quiet ${DS})
expect(r 0 OUT "^verdict: OK" WHAT "--quiet prints only the verdict when all is well")

# truncated chunk directory
file(COPY ${DS}/ DESTINATION ${WORK}/trunc)
run(f ${FIXTURE} truncate ${WORK}/trunc/chunks 100)
require(f "truncate")
run(r ${CHECK} ${WORK}/trunc)
expect(r 1 OUT "PROBLEM +chunks +[^\n]*trunc/chunks is truncated" WHAT "truncated chunks named")
expect(r 1 OUT "verdict: BAD" WHAT "truncated chunks: verdict BAD")

# two damaged files at once plus a missing closed mark: all three reported
file(COPY ${DS}/ DESTINATION ${WORK}/multi)
run(f ${FIXTURE} truncate ${WORK}/multi/chunks 60)
run(f ${FIXTURE} truncate ${WORK}/multi/names 50)
file(REMOVE ${WORK}/multi/closed)
run(r ${CHECK} ${WORK}/multi)
expect(r 1 WHAT "every damaged file reported"
       OUT "PROBLEM +chunks .*multi/chunks.*PROBLEM +names .*multi/names.*PROBLEM +closed .*not closed properly.*verdict: BAD: 3 problems")

# a segment block file cut short
file(COPY ${DS}/ DESTINATION ${WORK}/seg)
run(f ${FIXTURE} truncate ${WORK}/seg/segment/block-000000 4096)
run(r ${CHECK} ${WORK}/seg)
expect(r 1 OUT "PROBLEM +segment +[^\n]*block-000000 has 4096 bytes" WHAT "short block file named")
file(REMOVE ${WORK}/seg/segment/block-000000)
run(r ${CHECK} ${WORK}/seg)
expect(r 1 OUT "PROBLEM +segment +[^\n]*block-000000: missing" WHAT "missing block file named")

# a crash while open: the closed mark is missing
run(f ${FIXTURE} crashed ${WORK}/crashed)
require(f "fixture crashed")
run(r ${CHECK} ${WORK}/crashed)
expect(r 1 OUT "PROBLEM +closed .*not closed properly.*verdict: BAD: 1 problem;"
       WHAT "crashed datastore: closed mark reported")
# open for writing by another process right now: the lock and the closed
# mark say so, and it would not open
run(r ${FIXTURE} hold ${DS} ${CHECK} ${DS})
expect(r 1 WHAT "datastore open for writing elsewhere"
       OUT "PROBLEM +lock +[^\n]*open for writing by another.*PROBLEM +closed +[^\n]*open for writing now.*verdict: BAD")
# and after that writer closed it is fine again
run(r ${CHECK} ${DS})
expect(r 0 OUT "verdict: OK" WHAT "good again after the writer closed")
done()
