#!/usr/bin/env escript
%% SPDX-License-Identifier: MIT
%%! -hidden
%% erlang_remote_bench.erl: the remote scenarios of issue #8 on Erlang
%% distribution, between separate OS node processes on 127.0.0.1, printing
%% bench= lines like erlang_bench.erl. docs/benchmarks-remote.md defines each
%% scenario exactly (message shapes, counts, what is timed) so that the erg
%% side measures the same thing.
%%
%% This escript is a hidden controller node that takes no part in what is
%% timed: it starts the measured nodes bench_a, bench_b (and bench_c, bench_d
%% for pubsub_fanout) with the peer module (OTP 25) as separate `erl` OS
%% processes, loads this very module into them, and asks node A to run each
%% scenario against node B. Every peer is linked to the controller and halts
%% when its connection to it drops, so the nodes stop with the escript even
%% if it crashes or is killed; a watchdog halts the escript after 60 s.
%%
%% Environment (all optional): ERG_BENCH_SCALE multiplies every count (e.g.
%% 0.1 for a smoke run).
-module(erlang_remote_bench).
-mode(compile).
-behaviour(gen_server).
-export([main/1]).
%% run on the measured nodes
-export([oneway_receiver/0, oneway_run/3, pong/0, pingpong_run/3,
         call_run/3, relay_start/1, publish_run/4]).
-export([init/1, handle_call/3, handle_cast/2]).

-define(WATCHDOG_MS, 60000).
-define(RPC_MS, 60000).

main(_) ->
    register(bench_watchdog, spawn(fun() -> watchdog([]) end)),
    try run() of
        ok -> halt(0)
    catch C:E:St ->
            io:format(standard_error, "erlang_remote_bench: ~p:~p~n~p~n", [C, E, St]),
            halt(1)
    end.

%% Kills the node processes it was told about and halts if the run is not
%% over in time (the nodes would also halt on losing the controller).
watchdog(OsPids) ->
    receive
        {os_pid, P, Name} -> watchdog([{P, Name} | OsPids])
    after ?WATCHDOG_MS ->
            io:format(standard_error, "erlang_remote_bench: watchdog, halting~n", []),
            [kill_node(P, Name) || {P, Name} <- OsPids],
            [wait_gone(P, Name, 10) || {P, Name} <- OsPids],
            halt(3)
    end.

run() ->
    ensure_epmd(),
    Tag = os:getpid(),
    {ok, _} = net_kernel:start([list_to_atom("bench_ctl_" ++ Tag ++ "@127.0.0.1"),
                                longnames]),
    Cookie = "erg_bench_" ++ Tag,
    erlang:set_cookie(node(), list_to_atom(Cookie)),
    {ok, Sections} = escript:extract(escript:script_name(), [compile_source]),
    {source, Beam} = lists:keyfind(source, 1, Sections),
    Start = fun(Letter) -> start_node(Letter, Tag, Cookie, Beam) end,
    put(nodes, []),
    try
        [A, B] = [Start("a"), Start("b")],
        oneway(A, B, 100, scale(2000000)),
        oneway(A, B, 4096, scale(300000)),
        pingpong(A, B, 100, scale(20000)),
        pingpong(A, B, 4096, scale(15000)),
        call(A, B, scale(20000)),
        pubsub([A, B, Start("c"), Start("d")], scale(100000), 5)
    after
        stop_nodes(get(nodes))
    end,
    ok.

scale(N) ->
    case os:getenv("ERG_BENCH_SCALE") of
        false -> N;
        S ->
            F = try list_to_float(S) catch _:_ -> float(list_to_integer(S)) end,
            max(100, round(N * F))
    end.

%% epmd: reuse the one that runs; else start it on loopback only and leave it
%% running, as `erl -name` does.
ensure_epmd() ->
    case os:cmd("epmd -names 2>&1") of
        "epmd: up and running" ++ _ -> ok;
        _ ->
            os:cmd("ERL_EPMD_ADDRESS=127.0.0.1 epmd -daemon"),
            wait_epmd(50)
    end.

wait_epmd(0) -> error(epmd_not_started);
wait_epmd(K) ->
    case os:cmd("epmd -names 2>&1") of
        "epmd: up and running" ++ _ -> ok;
        _ -> timer:sleep(100), wait_epmd(K - 1)
    end.

%% A measured node: default emulator flags (schedulers = cores), the
%% distribution listening on 127.0.0.1 only.
start_node(Letter, Tag, Cookie, Beam) ->
    Name = list_to_atom("bench_" ++ Letter ++ "_" ++ Tag),
    {ok, Peer, Node} =
        peer:start_link(#{name => Name, host => "127.0.0.1", longnames => true,
                          args => ["-setcookie", Cookie,
                                   "-kernel", "inet_dist_use_interface",
                                   "{127,0,0,1}"]}),
    OsPid = erpc:call(Node, os, getpid, []),
    bench_watchdog ! {os_pid, OsPid, Node},
    put({peer, Node}, Peer),
    put({os_pid, Node}, OsPid),
    put(nodes, [Node | get(nodes)]),
    {module, ?MODULE} =
        erpc:call(Node, code, load_binary, [?MODULE, "erlang_remote_bench.erl", Beam]),
    Node.

%% Stops the nodes and waits until their OS processes are gone (reaped by
%% erl_child_setup), so that nothing is left behind, killing any that hangs.
stop_nodes(Nodes) ->
    [catch peer:stop(get({peer, N})) || N <- Nodes],
    [wait_gone(get({os_pid, N}), N, 50) || N <- Nodes],
    ok.

wait_gone(P, Node, 0) -> kill_node(P, Node);
wait_gone(P, Node, K) ->
    case filelib:is_file("/proc/" ++ P) of
        false -> ok;
        true -> timer:sleep(100), wait_gone(P, Node, K - 1)
    end.

%% kill -9, only if that pid is still the node's process (never a reused pid).
kill_node(P, Node) ->
    [Name | _] = string:split(atom_to_list(Node), "@"),
    case file:read_file("/proc/" ++ P ++ "/cmdline") of
        {ok, Cmd} ->
            case binary:match(Cmd, list_to_binary(Name)) of
                nomatch -> ok;
                _ -> os:cmd("kill -9 " ++ P), ok
            end;
        _ -> ok
    end.

now_ns() -> erlang:monotonic_time(nanosecond).

pct(Sorted, P) ->
    lists:nth(max(1, length(Sorted) * P div 100), Sorted) / 1000.

%% --- the messages ----------------------------------------------------------
%% An order: a record of five integers and a binary note, padded so that its
%% external term format (term_to_binary/1) is Size bytes with a 5-byte
%% integer id. Over the wire the distribution's atom cache makes the atom
%% `order` a one-byte reference, so each frame carries a few bytes less.
order(Id, Note) ->
    {order, Id, 1234567, 1999900, 100, 1700000000, Note}.

note_for(Size) ->
    Pad = Size - byte_size(term_to_binary(order(1000000, <<>>))),
    binary:copy(<<"x">>, Pad).

%% --- remote_oneway: A floods B, B counts and acks at the end --------------
oneway(A, B, Size, N) ->
    Rx = spawn(B, ?MODULE, oneway_receiver, []),
    Ns = erpc:call(A, ?MODULE, oneway_run, [Rx, Size, N], ?RPC_MS),
    exit(Rx, kill),
    io:format("bench=remote_oneway impl=erlang size=~b msgs=~b msgs_per_s=~b~n",
              [Size, N, round(N / (Ns / 1.0e9))]).

oneway_receiver() ->
    receive
        {count, From, N} -> count(N), From ! {done, N}, oneway_receiver()
    end.

count(0) -> ok;
count(K) -> receive {order, _, _, _, _, _, _} -> count(K - 1) end.

%% Runs on A. A warm-up of N/10 messages (connection set up, buffers grown),
%% then the timed run: from before the first send until B's ack that it
%% received all N.
oneway_run(Rx, Size, N) ->
    Note = note_for(Size),
    oneway_once(Rx, Note, max(1, N div 10)),
    oneway_once(Rx, Note, N).

oneway_once(Rx, Note, N) ->
    T0 = now_ns(),
    Rx ! {count, self(), N},
    send_n(Rx, Note, N),
    receive {done, N} -> ok after ?RPC_MS -> exit(oneway_timeout) end,
    now_ns() - T0.

send_n(_, _, 0) -> ok;
send_n(Rx, Note, K) -> Rx ! order(1000000 + K, Note), send_n(Rx, Note, K - 1).

%% --- remote_pingpong: one order bounces between A and B --------------------
pingpong(A, B, Size, Rounds) ->
    Pong = spawn(B, ?MODULE, pong, []),
    {Ns, Rtts} = erpc:call(A, ?MODULE, pingpong_run, [Pong, Size, Rounds], ?RPC_MS),
    exit(Pong, kill),
    Sorted = lists:sort(Rtts),
    io:format("bench=remote_pingpong impl=erlang size=~b rounds=~b msgs_per_s=~b "
              "p50_us=~.1f p99_us=~.1f~n",
              [Size, Rounds, round(2 * Rounds / (Ns / 1.0e9)),
               pct(Sorted, 50), pct(Sorted, 99)]).

%% B: learns the pinger once, then sends every order it gets straight back.
pong() -> receive {hello, From} -> From ! hello, pong(From) end.
pong(From) -> receive Order -> From ! Order, pong(From) end.

pingpong_run(Pong, Size, Rounds) ->
    Note = note_for(Size),
    Pong ! {hello, self()},
    receive hello -> ok end,
    _ = ping(Pong, Note, max(1, Rounds div 10), []),
    T0 = now_ns(),
    Rtts = ping(Pong, Note, Rounds, []),
    {now_ns() - T0, Rtts}.

ping(_, _, 0, Acc) -> Acc;
ping(Pong, Note, K, Acc) ->
    T = now_ns(),
    Pong ! order(1000000 + K, Note),
    receive {order, _, _, _, _, _, _} -> ok end,
    ping(Pong, Note, K - 1, [now_ns() - T | Acc]).

%% --- remote_call: gen_server:call from A to a gen_server on B --------------
call(A, B, N) ->
    {ok, Srv} = erpc:call(B, gen_server, start, [?MODULE, [], []]),
    {Ns, Lat} = erpc:call(A, ?MODULE, call_run, [Srv, 100, N], ?RPC_MS),
    exit(Srv, kill),
    Sorted = lists:sort(Lat),
    io:format("bench=remote_call impl=erlang size=~b calls=~b calls_per_s=~b "
              "p50_us=~.1f p99_us=~.1f~n",
              [100, N, round(N / (Ns / 1.0e9)), pct(Sorted, 50), pct(Sorted, 99)]).

init([]) -> {ok, 0}.
handle_call({order, Id, _, _, _, _, _}, _From, Count) -> {reply, {ok, Id}, Count + 1}.
handle_cast(_, Count) -> {noreply, Count}.

call_run(Srv, Size, N) ->
    Note = note_for(Size),
    _ = calls(Srv, Note, max(1, N div 10), []),
    T0 = now_ns(),
    Lat = calls(Srv, Note, N, []),
    {now_ns() - T0, Lat}.

calls(_, _, 0, Acc) -> Acc;
calls(Srv, Note, K, Acc) ->
    T = now_ns(),
    Id = 1000000 + K,
    {ok, Id} = gen_server:call(Srv, order(Id, Note), 5000),
    calls(Srv, Note, K - 1, [now_ns() - T | Acc]).

%% --- pubsub_fanout: one event to every subscriber on 4 nodes ---------------
%% Erlang has no Ergo-style events. The idiomatic equivalent of what Ergo and
%% erg do (a node subscribes once per remote event, the producer sends one
%% network message per subscribed node, which fans out locally): every node
%% has a relay process that owns that node's subscribers; each remote relay
%% subscribed once to the publisher. The publisher (on A) sends the event
%% once to each remote relay, then to each of A's own subscribers directly;
%% each relay sends it to each of its subscribers. pg is not used: its
%% broadcast would be one network message per remote subscriber.
%%
%% Completion without 100k acks: each node has an atomics counter set to its
%% subscriber count before its fan-out; every subscriber decrements it when
%% it receives the event, and the one that brings it to 0 sends one done
%% message to the publisher. Timed on A: from before the first send until
%% the publisher has a done from all 4 nodes.
pubsub(Nodes = [A | Remote], Subs, Events) ->
    PerNode = Subs div length(Nodes),
    Relays = [erpc:call(N, ?MODULE, relay_start, [PerNode], ?RPC_MS) || N <- Remote],
    Ts = erpc:call(A, ?MODULE, publish_run, [Relays, PerNode, length(Nodes), Events],
                   ?RPC_MS),
    [exit(R, kill) || R <- Relays],
    Ns = lists:nth((Events + 1) div 2, lists:sort(Ts)),
    io:format("bench=pubsub_fanout impl=erlang subscribers=~b nodes=~b events=~b "
              "deliveries_per_s=~b total_ms=~.1f~n",
              [PerNode * length(Nodes), length(Nodes), Events,
               round(PerNode * length(Nodes) / (Ns / 1.0e9)), Ns / 1.0e6]).

relay_start(PerNode) ->
    Caller = self(),
    Relay = spawn(fun() ->
                          {Counter, Subs} = subscribers(PerNode),
                          Caller ! {relay, self()},
                          relay(Counter, Subs, PerNode)
                  end),
    receive {relay, Relay} -> Relay end.

%% A relay's subscribers die with it (links).
subscribers(PerNode) ->
    Counter = atomics:new(1, []),
    Subs = [spawn_link(fun() -> subscriber(Counter) end) || _ <- lists:seq(1, PerNode)],
    {Counter, Subs}.

relay(Counter, Subs, PerNode) ->
    receive
        {event, _Seq, _Pub, _Order} = Ev ->
            atomics:put(Counter, 1, PerNode),
            fan_out(Subs, Ev),
            relay(Counter, Subs, PerNode)
    end.

fan_out([], _) -> ok;
fan_out([S | Rest], Ev) -> S ! Ev, fan_out(Rest, Ev).

subscriber(Counter) ->
    receive
        {event, Seq, Pub, _Order} ->
            case atomics:sub_get(Counter, 1, 1) of
                0 -> Pub ! {node_done, Seq};
                _ -> ok
            end,
            subscriber(Counter)
    end.

%% Runs on A: one warm-up event, then Events timed ones; returns their times.
publish_run(Relays, PerNode, NodeCount, Events) ->
    process_flag(trap_exit, true),
    {Counter, Subs} = subscribers(PerNode),
    Note = note_for(100),
    Ts = [publish(Seq, Relays, Counter, Subs, PerNode, NodeCount, Note)
          || Seq <- lists:seq(0, Events)],
    [exit(S, kill) || S <- Subs],
    tl(Ts).

publish(Seq, Relays, Counter, Subs, PerNode, NodeCount, Note) ->
    Ev = {event, Seq, self(), order(1000000 + Seq, Note)},
    T0 = now_ns(),
    fan_out(Relays, Ev),
    atomics:put(Counter, 1, PerNode),
    fan_out(Subs, Ev),
    [receive {node_done, Seq} -> ok after ?RPC_MS -> exit(fanout_timeout) end
     || _ <- lists:seq(1, NodeCount)],
    now_ns() - T0.
