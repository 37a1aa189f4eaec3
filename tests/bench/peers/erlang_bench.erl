#!/usr/bin/env escript
%% SPDX-License-Identifier: MIT
%% erlang_bench.erl: the actor_bench scenarios on Erlang/OTP, same output format.
-mode(compile).

main(_) ->
    oneway(1, 2000000),
    oneway(2, 1000000),
    oneway(4, 500000),
    pingpong(200000),
    call(200000),
    spawn_bench(200000),
    fanout(100000),
    ok.

now_ns() -> erlang:monotonic_time(nanosecond).

%% --- one-way: a sender floods its receiver ---------------------------------
oneway(Pairs, N) ->
    Self = self(),
    Rx = [spawn_opt(fun() -> receiver(N, Self) end, [{min_heap_size, 233}])
          || _ <- lists:seq(1, Pairs)],
    T0 = now_ns(),
    [spawn(fun() -> send_n(R, N) end) || R <- Rx],
    [receive done -> ok end || _ <- Rx],
    S = (now_ns() - T0) / 1.0e9,
    io:format("bench=local_oneway impl=erlang pairs=~b msgs=~b msgs_per_s=~b~n",
              [Pairs, N * Pairs, round(N * Pairs / S)]).

send_n(_, 0) -> ok;
send_n(R, K) -> R ! {msg, K}, send_n(R, K - 1).

receiver(0, Parent) -> Parent ! done;
receiver(K, Parent) -> receive {msg, _} -> receiver(K - 1, Parent) end.

%% --- ping-pong: one ball bounces -------------------------------------------
pingpong(Rounds) ->
    Pong = spawn(fun pong/0),
    Self = self(),
    T0 = now_ns(),
    spawn(fun() -> Self ! {rtts, ping(Pong, Rounds, [])} end),
    Rtts = receive {rtts, L} -> lists:sort(L) end,
    S = (now_ns() - T0) / 1.0e9,
    exit(Pong, kill),
    io:format("bench=local_pingpong impl=erlang rounds=~b msgs_per_s=~b "
              "p50_us=~.2f p99_us=~.2f~n",
              [Rounds, round(2 * Rounds / S), pct(Rtts, 50), pct(Rtts, 99)]).

pong() -> receive {ping, From} -> From ! pong, pong() end.

ping(_, 0, Acc) -> Acc;
ping(Pong, K, Acc) ->
    T = now_ns(),
    Pong ! {ping, self()},
    receive pong -> ok end,
    ping(Pong, K - 1, [now_ns() - T | Acc]).

pct(Sorted, P) ->
    lists:nth(max(1, length(Sorted) * P div 100), Sorted) / 1000.

%% --- call: what gen_server:call does (monitor, ref, reply) ----------------
call(N) ->
    Srv = spawn(fun server/0),
    Self = self(),
    T0 = now_ns(),
    spawn(fun() -> Self ! {lat, client(Srv, N, [])} end),
    Lat = receive {lat, L} -> lists:sort(L) end,
    S = (now_ns() - T0) / 1.0e9,
    exit(Srv, kill),
    io:format("bench=local_call impl=erlang calls=~b calls_per_s=~b "
              "p50_us=~.2f p99_us=~.2f~n",
              [N, round(N / S), pct(Lat, 50), pct(Lat, 99)]).

server() ->
    receive {'$call', From, Ref, Req} -> From ! {Ref, Req}, server() end.

client(_, 0, Acc) -> Acc;
client(Srv, K, Acc) ->
    T = now_ns(),
    Ref = erlang:monitor(process, Srv),
    Srv ! {'$call', self(), Ref, K},
    receive
        {Ref, _} -> erlang:demonitor(Ref, [flush]);
        {'DOWN', Ref, _, _, _} -> exit(server_down)
    after 5000 -> exit(timeout)
    end,
    client(Srv, K - 1, [now_ns() - T | Acc]).

%% --- spawn: idle processes, then all exit ----------------------------------
spawn_bench(N) ->
    erlang:garbage_collect(),
    M0 = erlang:memory(processes),
    T0 = now_ns(),
    Pids = [spawn(fun idle/0) || _ <- lists:seq(1, N)],
    S = (now_ns() - T0) / 1.0e9,
    Bytes = (erlang:memory(processes) - M0) div N,
    T1 = now_ns(),
    Refs = [erlang:monitor(process, P) || P <- Pids],
    [exit(P, normal_stop) || P <- Pids],
    [receive {'DOWN', R, _, _, _} -> ok end || R <- Refs],
    E = (now_ns() - T1) / 1.0e9,
    io:format("bench=spawn impl=erlang actors=~b spawns_per_s=~b "
              "bytes_per_actor=~b exits_per_s=~b~n",
              [N, round(N / S), Bytes, round(N / E)]).

idle() -> receive stop -> ok end.

%% --- fan-out: one event to every subscriber (Erlang has no pub/sub: the
%% publisher sends to each subscriber, as pg would) -------------------------
fanout(N) ->
    Self = self(),
    Subs = [spawn(fun() -> receive {event, _} -> Self ! got end end)
            || _ <- lists:seq(1, N)],
    T0 = now_ns(),
    [P ! {event, hello} || P <- Subs],
    wait(N),
    S = (now_ns() - T0) / 1.0e9,
    io:format("bench=event_fanout impl=erlang subscribers=~b ms=~.1f "
              "deliveries_per_s=~b~n", [N, S * 1000, round(N / S)]).

wait(0) -> ok;
wait(K) -> receive got -> wait(K - 1) end.
